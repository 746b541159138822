/**
 * Offline verification of Taskbound evidence with nothing but the issuer's log public key: RFC 6962 / RFC 9162
 * Merkle hashing and proofs, C2SP signed-note checkpoints, DSSE envelopes, RFC 8785 canonical JSON, and
 * {@link dev.taskbound.client.evidence.EvidenceVerifier} for per-task bundles and revocation receipts. The issuer
 * reuses these classes, so the bytes it signs are exactly the bytes a verifier checks.
 */
package dev.taskbound.client.evidence;
