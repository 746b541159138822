package dev.taskbound.issuer.policy;

import dev.taskbound.issuer.ca.SpiffeId;
import java.time.Duration;
import java.util.List;

/**
 * The outcome of policy evaluation. When {@code allowed}: the rule that matched, the SPIFFE ID, the task TTL cap,
 * the downstream audiences the task may exchange for, the exchange limit and the approval requirement. When
 * denied: {@code denyReason} is one of {@link #NO_RULE_MATCHED}, {@link #CONDITION_FALSE},
 * {@link #AUDIENCE_NOT_ALLOWED}, {@link #EVALUATION_ERROR}, and {@code detail} says more without secrets.
 * {@code policyVersion} is the SHA-256 (hex) of the policy file that decided.
 */
public record Decision(
    boolean allowed,
    String rule,
    SpiffeId spiffeId,
    Duration ttlCap,
    List<String> downstreamAudiences,
    Integer maxExchanges,
    ApprovalGate approval,
    String policyVersion,
    String denyReason,
    String detail) {

  public static final String NO_RULE_MATCHED = "no_rule_matched";
  public static final String CONDITION_FALSE = "condition_false";
  public static final String AUDIENCE_NOT_ALLOWED = "audience_not_allowed";
  public static final String EVALUATION_ERROR = "evaluation_error";

  public Decision {
    downstreamAudiences = downstreamAudiences == null ? List.of() : List.copyOf(downstreamAudiences);
  }

  public static Decision allow(
      String rule,
      SpiffeId spiffeId,
      Duration ttlCap,
      List<String> downstreamAudiences,
      Integer maxExchanges,
      ApprovalGate approval,
      String policyVersion) {
    return new Decision(
        true, rule, spiffeId, ttlCap, downstreamAudiences, maxExchanges, approval, policyVersion, null, null);
  }

  public static Decision deny(String rule, String reason, String detail, String policyVersion) {
    return new Decision(false, rule, null, null, List.of(), null, null, policyVersion, reason, detail);
  }
}
