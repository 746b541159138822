package dev.taskbound.issuer.admin;

import java.util.Set;

/**
 * An authenticated operator.
 *
 * @param issuer who vouched for them: the IdP's {@code iss}, or {@code dev} for dev mode's login link
 * @param subject their name at that issuer (the configured subject claim)
 * @param roles every role their token maps to; never empty
 */
public record Operator(String issuer, String subject, Set<Role> roles) {
  public Operator {
    roles = Set.copyOf(roles);
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("an operator has at least one role");
    }
  }

  /** Reading is open to every role; anything else needs that role. */
  public boolean may(Role needed) {
    return needed == Role.VIEWER || roles.contains(needed);
  }

  /** The role to record for an action that needed {@code needed}. */
  public String roleFor(Role needed) {
    return roles.contains(needed) ? needed.wire() : roles.iterator().next().wire();
  }
}
