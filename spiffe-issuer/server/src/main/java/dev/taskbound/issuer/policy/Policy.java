package dev.taskbound.issuer.policy;

import dev.taskbound.issuer.attest.GenericOidcAttestor;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A loaded policy: its rules in order, each condition compiled once, and its version (the SHA-256, hex, of the file
 * bytes it came from). Immutable; a reload builds a new one.
 */
public final class Policy {
  /** The version reported when no policy file is configured. */
  public static final String NO_POLICY = "none";

  private final String version;
  private final List<CompiledRule> rules;
  private final List<String> warnings;

  private Policy(String version, List<CompiledRule> rules, List<String> warnings) {
    this.version = version;
    this.rules = List.copyOf(rules);
    this.warnings = List.copyOf(warnings);
  }

  /**
   * Parses a policy file and compiles every condition; one bad rule makes the whole file invalid.
   *
   * @throws InvalidPolicyException naming the rule and the problem
   */
  public static Policy parse(byte[] yaml) throws InvalidPolicyException {
    return of(sha256Hex(yaml), PolicyParser.rules(yaml));
  }

  /**
   * A policy built in code (e.g. the dev-mode rule), under a version the caller chooses.
   *
   * @throws InvalidPolicyException if a condition does not compile, two rules share a name, or a rule for generic
   *     OIDC tokens does not pin the provider
   */
  public static Policy of(String version, List<PolicyRule> rules) throws InvalidPolicyException {
    List<CompiledRule> compiled = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (PolicyRule rule : rules) {
      if (!names.add(rule.name())) {
        throw new InvalidPolicyException("rule '" + rule.name() + "': the name is used twice");
      }
      Condition condition;
      try {
        condition = Condition.compile(rule.when());
      } catch (IllegalArgumentException e) {
        throw new InvalidPolicyException("rule '" + rule.name() + "': when does not compile: " + e.getMessage(), e);
      }
      checkProviderPinned(rule, condition, warnings);
      compiled.add(new CompiledRule(rule, condition));
    }
    return new Policy(version, compiled, warnings);
  }

  /**
   * Every generic OIDC provider's tokens arrive as {@code ci.platform == 'oidc'}, and two CI systems can send the same
   * claim ({@code project_path}) with the same value. A rule that admits {@code oidc} must therefore say whose token
   * it wants ({@code ci.provider == '<name>'} or {@code in [...]}, as a top-level {@code &&} conjunct), or it is
   * refused. A rule that pins neither platform nor provider admits every attestor's tokens: allowed (dev and test
   * policies say {@code true}), but warned about.
   */
  private static void checkProviderPinned(PolicyRule rule, Condition condition, List<String> warnings) throws InvalidPolicyException {
    Set<String> platforms = condition.pinnedValues("platform");
    boolean providerPinned = !condition.pinnedValues("provider").isEmpty();
    if (providerPinned) {
      return;
    }
    if (platforms.contains(GenericOidcAttestor.PLATFORM)) {
      throw new InvalidPolicyException("rule '" + rule.name() + "': it admits generic OIDC tokens (ci.platform == '"
          + GenericOidcAttestor.PLATFORM + "') without pinning ci.provider, so a token from any configured oidc provider "
          + "with the same claims would match; add \"&& ci.provider == '<name>'\" (the name of attestors.oidc[])");
    }
    if (platforms.isEmpty()) {
      warnings.add("rule '" + rule.name() + "' pins neither ci.platform nor ci.provider: tokens from every attestor, "
          + "every generic OIDC provider included, can match it");
    }
  }

  /** What is allowed but probably not meant (a rule any attestor's token can match); for the operator's log. */
  public List<String> warnings() {
    return warnings;
  }

  /** No policy: every request is denied. */
  public static Policy denyAll() {
    return new Policy(NO_POLICY, List.of(), List.of());
  }

  public String version() {
    return version;
  }

  public List<PolicyRule> rules() {
    return rules.stream().map(CompiledRule::rule).toList();
  }

  List<CompiledRule> compiledRules() {
    return rules;
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
