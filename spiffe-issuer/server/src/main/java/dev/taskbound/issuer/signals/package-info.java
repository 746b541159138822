/**
 * Shared Signals (OpenID SSF 1.0) transmitter: at a task's end, CAEP {@code credential-change} (revoke) and
 * {@code session-revoked} events as Security Event Tokens (RFC 8417), pushed to configured receivers (RFC 8935)
 * from a durable outbox in the store, with bounded retries. Knows nothing of HTTP serving; the composition root
 * registers {@link dev.taskbound.issuer.signals.SetTransmitter#taskEnded} as a task end listener.
 */
package dev.taskbound.issuer.signals;
