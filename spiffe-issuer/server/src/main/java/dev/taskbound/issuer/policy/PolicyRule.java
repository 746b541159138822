package dev.taskbound.issuer.policy;

import dev.taskbound.issuer.ca.SpiffeId;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One rule as written in the policy file: when its CEL condition {@code when} holds, the caller gets the SPIFFE ID
 * {@code spiffeId} for at most {@code maxTtl}, may ask for JWT-SVIDs and downstream tokens for {@code audiences}
 * only, at most {@code maxExchanges} exchanges, under the approval requirement {@code approval} (null: none).
 * {@code maxIdLength} caps the SPIFFE ID (e.g. 255 when it must fit an OIDC {@code sub}).
 */
public record PolicyRule(
    String name,
    String when,
    SpiffeIdTemplate spiffeId,
    Duration maxTtl,
    List<String> audiences,
    int maxExchanges,
    ApprovalGate approval,
    int maxIdLength) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  public PolicyRule {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("rule name must be 1-128 characters of [A-Za-z0-9._-]");
    }
    if (when == null || when.isBlank()) {
      throw new IllegalArgumentException("when must be a CEL expression");
    }
    Objects.requireNonNull(spiffeId, "spiffe_id");
    if (maxTtl == null || maxTtl.isNegative() || maxTtl.isZero()) {
      throw new IllegalArgumentException("max_ttl must be a positive duration");
    }
    audiences = List.copyOf(audiences);
    for (String audience : audiences) {
      if (audience.isBlank()) {
        throw new IllegalArgumentException("audiences must not hold an empty string");
      }
    }
    if (maxExchanges < 0) {
      throw new IllegalArgumentException("max_exchanges must not be negative");
    }
    if (maxIdLength < 1 || maxIdLength > SpiffeId.MAX_LENGTH) {
      throw new IllegalArgumentException("max_id_length must be between 1 and " + SpiffeId.MAX_LENGTH);
    }
  }
}
