package dev.taskbound.issuer.policy;

import dev.taskbound.issuer.attest.AttestedIdentity;
import dev.taskbound.issuer.ca.SpiffeId;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Evaluates the current {@link Policy}: rules in order, the first whose condition holds decides; none holds → deny.
 *
 * <p>A condition that fails to evaluate (missing key, type error, non-bool result) stops evaluation with an
 * {@link Decision#EVALUATION_ERROR} deny for that rule: skipping it could hand out a later rule's identity to a
 * request the failing rule was written to govern. When no rule holds, the deny names the rule that came closest
 * (most conjuncts of its top-level {@code &&} held, the earliest on a tie) as {@link Decision#CONDITION_FALSE}
 * with the first unmet conjunct; when no conjunct of any rule held, it is {@link Decision#NO_RULE_MATCHED}.
 */
public final class CelPolicyEngine implements PolicyEngine {
  private static final int MAX_ECHOED_AUDIENCE = 100;

  private final String trustDomain;
  private final Supplier<Policy> policy;

  /**
   * @param trustDomain the issuer's trust domain, filled into {@code {trust_domain}}
   * @param policy the policy in force, asked once per decision (a {@link PolicyWatcher} swaps it on reload)
   */
  public CelPolicyEngine(String trustDomain, Supplier<Policy> policy) {
    this.trustDomain = new SpiffeId(trustDomain, "").trustDomain();
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /** An engine over one fixed policy. */
  public static CelPolicyEngine of(String trustDomain, Policy policy) {
    Objects.requireNonNull(policy, "policy");
    return new CelPolicyEngine(trustDomain, () -> policy);
  }

  /** No policy file configured: every request is denied. */
  public static CelPolicyEngine denyAll(String trustDomain) {
    return of(trustDomain, Policy.denyAll());
  }

  @Override
  public Decision decide(AttestedIdentity who, PolicyRequest request) {
    Policy current = policy.get();
    String version = current.version();
    try {
      Map<String, String> ci = ConditionInput.ci(who);
      Map<String, Object> input = ConditionInput.of(who, ci, request);
      for (CompiledRule compiled : current.compiledRules()) {
        Condition.Result result = compiled.condition().evaluate(input);
        if (result.outcome() == Condition.Outcome.ERROR) {
          return Decision.deny(
              compiled.rule().name(),
              Decision.EVALUATION_ERROR,
              "rule '" + compiled.rule().name() + "': " + result.detail(),
              version);
        }
        if (result.outcome() == Condition.Outcome.TRUE) {
          return grant(compiled.rule(), ci, request, version);
        }
      }
      return noRuleHeld(current, input);
    } catch (RuntimeException e) {
      // The contract is "never throws": a bug or odd input here must still be a deny the caller can report.
      return Decision.deny(
          null, Decision.EVALUATION_ERROR, "policy evaluation failed: " + e.getClass().getSimpleName(), version);
    }
  }

  private Decision grant(PolicyRule rule, Map<String, String> ci, PolicyRequest request, String version) {
    for (String audience : request.audiences()) {
      if (!rule.audiences().contains(audience)) {
        return Decision.deny(
            rule.name(),
            Decision.AUDIENCE_NOT_ALLOWED,
            "audience '" + shorten(audience) + "' is not allowed by rule '" + rule.name() + "'",
            version);
      }
    }
    SpiffeId id;
    try {
      id = rule.spiffeId().render(trustDomain, ci, rule.maxIdLength());
    } catch (SpiffeIdTemplateException e) {
      return Decision.deny(
          rule.name(), Decision.EVALUATION_ERROR, "rule '" + rule.name() + "' spiffe_id: " + e.getMessage(), version);
    }
    return Decision.allow(
        rule.name(), id, rule.maxTtl(), rule.audiences(), rule.maxExchanges(), rule.approval(), version);
  }

  private static Decision noRuleHeld(Policy policy, Map<String, Object> input) {
    List<CompiledRule> rules = policy.compiledRules();
    if (rules.isEmpty()) {
      String detail =
          Policy.NO_POLICY.equals(policy.version()) ? "no policy is configured (default deny)" : "the policy has no rules";
      return Decision.deny(null, Decision.NO_RULE_MATCHED, detail, policy.version());
    }
    CompiledRule closest = null;
    Condition.Closeness best = null;
    for (CompiledRule compiled : rules) {
      Condition.Closeness closeness = compiled.condition().closeness(input);
      if (closeness.held() > 0 && (best == null || closeness.held() > best.held())) {
        closest = compiled;
        best = closeness;
      }
    }
    if (closest == null) {
      return Decision.deny(
          null,
          Decision.NO_RULE_MATCHED,
          "no condition of any of the " + rules.size() + " rules held",
          policy.version());
    }
    return Decision.deny(
        closest.rule().name(),
        Decision.CONDITION_FALSE,
        "closest rule '"
            + closest.rule().name()
            + "': "
            + best.held()
            + " of "
            + best.total()
            + " conditions held; not met: "
            + best.firstUnmet(),
        policy.version());
  }

  private static String shorten(String text) {
    return text.length() <= MAX_ECHOED_AUDIENCE ? text : text.substring(0, MAX_ECHOED_AUDIENCE) + "…";
  }
}
