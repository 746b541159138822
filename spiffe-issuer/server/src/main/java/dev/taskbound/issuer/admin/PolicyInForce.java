package dev.taskbound.issuer.admin;

import java.util.List;

/**
 * The policy deciding right now, as the admin API shows it.
 *
 * @param source {@code file} (a policy file, reloaded when it changes), {@code dev} (dev mode's built-in policy) or
 *     {@code deny-all} (no policy file outside dev mode)
 * @param version the policy's version (for a file, the SHA-256 of its content, as in {@code policy.loaded} evidence)
 * @param rules the rule names, in evaluation order
 */
public record PolicyInForce(String source, String version, List<String> rules) {
  public PolicyInForce {
    rules = List.copyOf(rules);
  }
}
