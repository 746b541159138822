package dev.taskbound.issuer.exchange;

import java.time.Instant;

/**
 * Where an exchange is recorded before its token is returned (the evidence log's {@code token.exchanged}). It
 * returns once the record is durable and throws otherwise; the token then never leaves the issuer.
 */
@FunctionalInterface
public interface ExchangeEvidence {
  void tokenExchanged(
      String taskId, Instant at, String subjectCredentialId, DownstreamToken token, String audience, String policyRule);
}
