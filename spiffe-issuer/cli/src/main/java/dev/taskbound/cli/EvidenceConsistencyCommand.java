package dev.taskbound.cli;

import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.ConsistencyProof;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.InvalidEvidenceException;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.client.evidence.VerificationResult.Check;
import dev.taskbound.client.evidence.VerificationResult.Failure;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code taskbound evidence consistency OLD NEW}: checks that the log behind checkpoint NEW only grew since
 * checkpoint OLD — nothing removed, nothing rewritten. Keeping checkpoints and checking each new one against the
 * last is what makes the log append-only for you, not only for the issuer.
 */
@Command(name = "consistency", description = {
    "Check that checkpoint NEW extends checkpoint OLD (same log, nothing removed or rewritten).",
    "The proof comes from --proof FILE or from the issuer (--issuer URL).",
    "Exit 0 when consistent, 1 (listing every failed check) when not, 2 when it cannot be checked."})
final class EvidenceConsistencyCommand implements Callable<Integer> {
  @Mixin LogKeyOptions keyOptions;

  @Parameters(index = "0", paramLabel = "OLD", description = "The older checkpoint (a signed note, GET /evidence/checkpoint).")
  Path older;

  @Parameters(index = "1", paramLabel = "NEW", description = "The newer checkpoint.")
  Path newer;

  @Option(names = "--proof", paramLabel = "FILE", description = "The consistency proof as GET /evidence/proof/consistency serves it.")
  Path proofFile;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<Failure> failures = new ArrayList<>();
    Checkpoint a;
    Checkpoint b;
    try {
      String oldNote = text(older);
      String newNote = text(newer);
      NoteKey key = keyOptions.key(err);
      a = unverifiedSize(oldNote, "OLD");
      b = unverifiedSize(newNote, "NEW");
      List<byte[]> hashes = List.of();
      if (b.size() >= a.size()) {
        ConsistencyProof proof = proof(a.size(), b.size());
        if (proof.from() != a.size() || proof.to() != b.size()) {
          failures.add(new Failure(Check.CONSISTENCY_PROOF, "the proof is for sizes " + proof.from() + ".." + proof.to()
              + ", the checkpoints are " + a.size() + ".." + b.size()));
        }
        hashes = proof.hashes();
      }
      failures.addAll(EvidenceVerifier.checkConsistency(oldNote, newNote, hashes, key));
    } catch (LogKeyOptions.CannotCheck e) {
      err.println("taskbound: " + e.getMessage());
      return EvidenceCommand.CANNOT_CHECK;
    }
    if (!failures.isEmpty()) {
      out.printf("checkpoints are NOT consistent: %d failed check(s)%n", failures.size());
      failures.forEach(f -> out.printf("  %s: %s%n", f.check(), f.detail()));
      return EvidenceCommand.INVALID;
    }
    out.printf("checkpoints are consistent: %s grew from size %d to %d with nothing removed or rewritten%n",
        a.origin(), a.size(), b.size());
    return EvidenceCommand.VALID;
  }

  private ConsistencyProof proof(long from, long to) {
    if (proofFile != null) {
      try {
        return ConsistencyProof.parse(EvidenceVerifyCommand.read(proofFile.toString()));
      } catch (InvalidEvidenceException e) {
        throw new LogKeyOptions.CannotCheck(proofFile + ": " + e.getMessage());
      }
    }
    IssuerClient issuer = keyOptions.issuerClient();
    if (issuer == null) {
      throw new LogKeyOptions.CannotCheck("no proof: pass --proof FILE or --issuer URL to fetch it");
    }
    try {
      return issuer.consistencyProof(from, to);
    } catch (IssuerException e) {
      throw new LogKeyOptions.CannotCheck("cannot fetch the consistency proof: " + e.getMessage());
    }
  }

  /** The size a checkpoint claims, to ask for the right proof; the signature is checked with the proof. */
  private static Checkpoint unverifiedSize(String note, String which) {
    try {
      return Checkpoint.parseBody(SignedNote.parse(note).body());
    } catch (InvalidEvidenceException e) {
      throw new LogKeyOptions.CannotCheck(which + " is not a checkpoint: " + e.getMessage());
    }
  }

  private static String text(Path file) {
    return new String(EvidenceVerifyCommand.read(file.toString()), StandardCharsets.UTF_8);
  }
}
