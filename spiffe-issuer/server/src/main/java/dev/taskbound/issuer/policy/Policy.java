package dev.taskbound.issuer.policy;

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

  private Policy(String version, List<CompiledRule> rules) {
    this.version = version;
    this.rules = List.copyOf(rules);
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
   * @throws InvalidPolicyException if a condition does not compile or two rules share a name
   */
  public static Policy of(String version, List<PolicyRule> rules) throws InvalidPolicyException {
    List<CompiledRule> compiled = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (PolicyRule rule : rules) {
      if (!names.add(rule.name())) {
        throw new InvalidPolicyException("rule '" + rule.name() + "': the name is used twice");
      }
      try {
        compiled.add(new CompiledRule(rule, Condition.compile(rule.when())));
      } catch (IllegalArgumentException e) {
        throw new InvalidPolicyException("rule '" + rule.name() + "': when does not compile: " + e.getMessage(), e);
      }
    }
    return new Policy(version, compiled);
  }

  /** No policy: every request is denied. */
  public static Policy denyAll() {
    return new Policy(NO_POLICY, List.of());
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
