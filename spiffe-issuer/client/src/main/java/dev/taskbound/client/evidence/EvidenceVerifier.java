package dev.taskbound.client.evidence;

import dev.taskbound.client.evidence.VerificationResult.Check;
import dev.taskbound.client.evidence.VerificationResult.Failure;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks Taskbound evidence offline with only the issuer's log key: no database, no network. What
 * {@code taskbound evidence verify} and the Jenkins plugin run.
 */
public final class EvidenceVerifier {
  private EvidenceVerifier() {}

  /** Verifies a bundle against a verifier key string ({@code name+hash+base64key}). */
  public static VerificationResult verify(byte[] bundle, String verifierKey) {
    return verify(bundle, NoteKey.parse(verifierKey));
  }

  /**
   * Verifies a bundle against a bare Ed25519 public key. The log names its key after its origin, so the name is
   * taken from the checkpoint; the signature still has to verify under this key.
   */
  public static VerificationResult verify(byte[] bundle, PublicKey logKey) {
    EvidenceBundle parsed;
    try {
      parsed = EvidenceBundle.parse(bundle);
      String origin = SignedNote.parse(parsed.checkpoint()).body().split("\n", 2)[0];
      return verify(parsed, NoteKey.ed25519(origin, logKey));
    } catch (InvalidEvidenceException e) {
      return new VerificationResult(List.of(new Failure(Check.BUNDLE_FORMAT, e.getMessage())), null, null);
    }
  }

  public static VerificationResult verify(byte[] bundle, NoteKey key) {
    EvidenceBundle parsed;
    try {
      parsed = EvidenceBundle.parse(bundle);
    } catch (InvalidEvidenceException e) {
      return new VerificationResult(List.of(new Failure(Check.BUNDLE_FORMAT, e.getMessage())), null, null);
    }
    return verify(parsed, key);
  }

  private static VerificationResult verify(EvidenceBundle bundle, NoteKey key) {
    List<Failure> failures = new ArrayList<>();
    Checkpoint checkpoint = null;
    try {
      checkpoint = SignedNote.openCheckpoint(bundle.checkpoint(), key);
      if (!checkpoint.origin().equals(key.name())) {
        failures.add(new Failure(Check.CHECKPOINT_SIGNATURE, "checkpoint origin is not the log key's name"));
      }
    } catch (InvalidEvidenceException e) {
      failures.add(new Failure(Check.CHECKPOINT_SIGNATURE, e.getMessage()));
    }
    byte[] payload;
    try {
      payload = bundle.envelope().openWith(key, EvidenceFormat.INTOTO_PAYLOAD_TYPE);
    } catch (InvalidEvidenceException e) {
      failures.add(new Failure(Check.ENVELOPE_SIGNATURE, e.getMessage()));
      return new VerificationResult(failures, null, checkpoint);
    }
    TaskStatement statement;
    try {
      statement = TaskStatement.parse(payload);
    } catch (InvalidEvidenceException e) {
      failures.add(new Failure(Check.STATEMENT, e.getMessage()));
      return new VerificationResult(failures, null, checkpoint);
    }
    if (!statement.logOrigin().equals(key.name())) {
      failures.add(new Failure(Check.STATEMENT, "statement names another log"));
    }
    checkInclusion(statement, bundle.proofs(), checkpoint, failures);
    checkCredentialsClosed(statement, failures);
    return new VerificationResult(failures, statement, checkpoint);
  }

  private static void checkInclusion(
      TaskStatement statement, List<InclusionProof> proofs, Checkpoint checkpoint, List<Failure> failures) {
    if (checkpoint == null) {
      failures.add(new Failure(Check.INCLUSION_PROOF, "no trusted checkpoint to prove entries against"));
      return;
    }
    List<LoggedEvent> entries = statement.entries();
    if (proofs.size() != entries.size()) {
      failures.add(new Failure(Check.INCLUSION_PROOF,
          entries.size() + " entries but " + proofs.size() + " inclusion proofs"));
      return;
    }
    for (int i = 0; i < entries.size(); i++) {
      LoggedEvent e = entries.get(i);
      InclusionProof p = proofs.get(i);
      if (p.leafIndex() != e.leafIndex()) {
        failures.add(new Failure(Check.INCLUSION_PROOF, "proof " + i + " is for leaf " + p.leafIndex()
            + ", entry is leaf " + e.leafIndex()));
      } else if (!MerkleProofs.verifyInclusion(
          e.leafIndex(), checkpoint.size(), TreeHash.leaf(e.entryBytes()), p.hashes(), checkpoint.rootHash())) {
        failures.add(new Failure(Check.INCLUSION_PROOF,
            "entry at leaf " + e.leafIndex() + " is not in the tree of size " + checkpoint.size()));
      }
    }
  }

  private static void checkCredentialsClosed(TaskStatement statement, List<Failure> failures) {
    if (statement.endedAt() == null) {
      failures.add(new Failure(Check.TASK_NOT_ENDED, "task " + statement.taskId() + " has no task.ended entry"));
      return;
    }
    for (CredentialStatus c : statement.credentials()) {
      if (!c.closedBy(statement.endedAt())) {
        failures.add(new Failure(Check.CREDENTIAL_OPEN_AFTER_END, c.kind() + " " + c.credentialId()
            + " was neither revoked nor expired when the task ended"));
      }
    }
  }

  /**
   * True when {@code proof} shows that the log's {@code newer} checkpoint extends the {@code older} one; both
   * must be signed by {@code key}.
   */
  public static boolean verifyConsistency(String older, String newer, List<byte[]> proof, NoteKey key) {
    return checkConsistency(older, newer, proof, key).isEmpty();
  }

  /**
   * Every reason {@code newer} is not shown to extend {@code older}: a checkpoint not signed by {@code key} or of
   * another log, a newer checkpoint that is smaller, or a proof that does not connect the two roots. Empty when
   * the log only grew between them.
   */
  public static List<Failure> checkConsistency(String older, String newer, List<byte[]> proof, NoteKey key) {
    List<Failure> failures = new ArrayList<>();
    Checkpoint a = openNamed(older, "old", key, failures);
    Checkpoint b = openNamed(newer, "new", key, failures);
    if (a == null || b == null) {
      return failures;
    }
    if (!a.origin().equals(key.name()) || !b.origin().equals(key.name())) {
      failures.add(new Failure(Check.CHECKPOINT_SIGNATURE, "a checkpoint's origin is not the log key's name"));
    }
    if (b.size() < a.size()) {
      failures.add(new Failure(Check.CONSISTENCY_PROOF,
          "new checkpoint (size " + b.size() + ") is smaller than the old one (size " + a.size() + "): the log shrank or they are swapped"));
    } else if (!MerkleProofs.verifyConsistency(a.size(), b.size(), a.rootHash(), b.rootHash(), proof)) {
      failures.add(new Failure(Check.CONSISTENCY_PROOF, a.size() == b.size()
          ? "two checkpoints of size " + a.size() + " with different roots: the log was rewritten"
          : "the proof does not show that the tree of size " + b.size() + " extends the tree of size " + a.size()));
    }
    return failures;
  }

  private static Checkpoint openNamed(String note, String which, NoteKey key, List<Failure> failures) {
    try {
      return SignedNote.openCheckpoint(note, key);
    } catch (InvalidEvidenceException e) {
      failures.add(new Failure(Check.CHECKPOINT_SIGNATURE, which + " checkpoint: " + e.getMessage()));
      return null;
    }
  }

  /** Opens a signed revocation receipt; throws when its signature or checkpoint does not verify. */
  public static RevocationReceipt verifyReceipt(byte[] envelope, NoteKey key) {
    byte[] payload = DsseEnvelope.parse(envelope).openWith(key, EvidenceFormat.RECEIPT_PAYLOAD_TYPE);
    RevocationReceipt receipt = RevocationReceipt.parse(payload);
    Checkpoint checkpoint = SignedNote.openCheckpoint(receipt.checkpoint(), key);
    if (receipt.taskEndedLeafIndex() < 0 || receipt.taskEndedLeafIndex() >= checkpoint.size()) {
      throw new InvalidEvidenceException("receipt's task.ended leaf is outside its checkpoint");
    }
    return receipt;
  }
}
