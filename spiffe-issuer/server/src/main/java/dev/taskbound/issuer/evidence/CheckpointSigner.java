package dev.taskbound.issuer.evidence;

import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.MerkleProofs;
import dev.taskbound.client.evidence.SignedNote;
import java.util.List;

/**
 * Signs checkpoints, and refuses any tree that is not an extension of the last one it signed: a consistency proof
 * from the last signed tree head to the new one must verify first. Two steps, so a checkpoint whose entries then
 * fail to commit never becomes the reference for the next one.
 */
final class CheckpointSigner {
  private final LogSigner signer;
  private Checkpoint lastSigned;
  private String lastNote;

  /** {@code lastNote}: the newest checkpoint signed so far (read back from the store), or null for a new log. */
  CheckpointSigner(LogSigner signer, String lastNote) {
    this.signer = signer;
    if (lastNote != null) {
      this.lastSigned = SignedNote.openCheckpoint(lastNote, signer.noteKey());
      this.lastNote = lastNote;
    }
  }

  String origin() {
    return signer.noteKey().name();
  }

  synchronized Checkpoint lastSigned() {
    return lastSigned;
  }

  synchronized String lastNote() {
    return lastNote;
  }

  /** A checkpoint this signer signed, and its note. */
  static final class Signed {
    private final Checkpoint checkpoint;
    private final String note;

    private Signed(Checkpoint checkpoint, String note) {
      this.checkpoint = checkpoint;
      this.note = note;
    }

    String note() {
      return note;
    }
  }

  /**
   * Signs {@code next} if {@code proofFromLast} proves it consistent with the last signed checkpoint; throws
   * otherwise. Does not make it the new reference: call {@link #committed(Signed)} once it is durable.
   */
  synchronized Signed sign(Checkpoint next, List<byte[]> proofFromLast) {
    if (!next.origin().equals(origin())) {
      throw new EvidenceException("checkpoint origin is not this log's");
    }
    if (lastSigned != null
        && !MerkleProofs.verifyConsistency(
            lastSigned.size(), next.size(), lastSigned.rootHash(), next.rootHash(), proofFromLast)) {
      throw new EvidenceException("refusing to sign a tree of size " + next.size()
          + " that is not consistent with the signed tree of size " + lastSigned.size());
    }
    byte[] signature = signer.sign(next.bodyBytes());
    String note =
        new SignedNote(next.body(), List.of(new SignedNote.Line(origin(), signer.noteKey().keyHash(), signature))).text();
    return new Signed(next, note);
  }

  /**
   * Makes a checkpoint this signer signed the reference, once durable. Not opened again: its signature was made here
   * from {@code checkpoint} a moment ago (verifying it cost the writer an Ed25519 verification per batch, on the
   * path of every caller in the batch).
   */
  synchronized void committed(Signed signed) {
    advance(signed.checkpoint, signed.note);
  }

  /** Makes a note read back from the store the reference, once its signature verifies with this log's key. */
  synchronized void committed(String note) {
    advance(SignedNote.openCheckpoint(note, signer.noteKey()), note);
  }

  private void advance(Checkpoint c, String note) {
    if (lastSigned != null && c.size() < lastSigned.size()) {
      throw new IllegalStateException("checkpoints only move forward");
    }
    lastSigned = c;
    lastNote = note;
  }
}
