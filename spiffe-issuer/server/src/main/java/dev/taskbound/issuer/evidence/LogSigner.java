package dev.taskbound.issuer.evidence;

import dev.taskbound.client.evidence.NoteKey;

/**
 * The log's signing key: signs checkpoints (signed notes), bundle envelopes and receipts. Software Ed25519 today
 * ({@link Ed25519LogSigner}); an ECDSA P-256 key in PKCS#11 would be a second implementation, together with a
 * second signed-note algorithm in {@link NoteKey}.
 */
public interface LogSigner {
  /** The public half with its name, as outsiders verify it. */
  NoteKey noteKey();

  byte[] sign(byte[] message);
}
