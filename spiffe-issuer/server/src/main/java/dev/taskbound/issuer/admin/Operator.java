package dev.taskbound.issuer.admin;

import java.util.Set;

/**
 * An authenticated operator.
 *
 * @param issuer who vouched for them: the IdP's {@code iss}, or {@code dev} for dev mode's login link
 * @param subject their name at that issuer (the configured subject claim)
 * @param roles every role their token maps to; never empty
 * @param groups the groups their token names (the configured groups claim), which approval rules name; null when
 *     they are trusted as named (dev mode's login), so no membership is checked
 */
public record Operator(String issuer, String subject, Set<Role> roles, Set<String> groups) {
  public Operator {
    roles = Set.copyOf(roles);
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("an operator has at least one role");
    }
    groups = groups == null ? null : Set.copyOf(groups);
  }

  /** An operator trusted as named, for every group (dev mode's login). */
  public Operator(String issuer, String subject, Set<Role> roles) {
    this(issuer, subject, roles, null);
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
