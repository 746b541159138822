package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.store.CredentialKind;
import java.time.Instant;

/**
 * Where exchanges and revocations by relying parties are recorded (the evidence log's {@code token.exchanged} and
 * {@code credential.revoked}). Each method returns once the record is durable and throws otherwise: an exchanged
 * token then never leaves the issuer, and a revocation (which stands in the store) is answered as retryable.
 */
public interface ExchangeEvidence {
  void tokenExchanged(
      String taskId, Instant at, String subjectCredentialId, DownstreamToken token, String audience, String policyRule);

  void credentialRevoked(String taskId, Instant at, CredentialKind kind, String credentialId, Instant expiresAt);
}
