package dev.taskbound.issuer.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * What {@code taskbound-issuer policy test} prints: {@code decision} ({@code allow}/{@code deny}), {@code rule},
 * {@code spiffe_id}, {@code reason} (a deny reason class), plus {@code detail} and {@code policy_version}. Absent
 * values are JSON {@code null}, so every output has the same keys.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"decision", "rule", "spiffe_id", "reason", "detail", "policy_version"})
public record PolicyTestResult(
    @JsonProperty("decision") String decision,
    @JsonProperty("rule") String rule,
    @JsonProperty("spiffe_id") String spiffeId,
    @JsonProperty("reason") String reason,
    @JsonProperty("detail") String detail,
    @JsonProperty("policy_version") String policyVersion) {

  static PolicyTestResult of(Decision decision) {
    return new PolicyTestResult(
        decision.allowed() ? "allow" : "deny",
        decision.rule(),
        decision.spiffeId() == null ? null : decision.spiffeId().toString(),
        decision.denyReason(),
        decision.detail(),
        decision.policyVersion());
  }

  public boolean allowed() {
    return "allow".equals(decision);
  }
}
