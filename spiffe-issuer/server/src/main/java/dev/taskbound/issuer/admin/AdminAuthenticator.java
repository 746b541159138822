package dev.taskbound.issuer.admin;

import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.attest.AttestationException;
import dev.taskbound.issuer.attest.JwksFetcher;
import dev.taskbound.issuer.attest.JwtRules;
import dev.taskbound.issuer.attest.JwtVerifier;
import dev.taskbound.issuer.attest.VerifiedJwt;
import dev.taskbound.issuer.config.OperationsConfig;
import dev.taskbound.issuer.task.TaskException;
import java.time.Clock;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is calling the admin API: a bearer token that is either an OIDC token of the organisation's IdP — verified
 * by the attestors' {@link JwtVerifier} (signature against the IdP's published keys, {@code iss}, {@code aud},
 * times) and mapped to roles by a configured claim — or, in dev mode only, a dev login session. Anything else is
 * {@code 401 not-authenticated}; a valid token that maps to no role is {@code 403 forbidden}.
 */
public final class AdminAuthenticator {
  private static final Logger LOG = LoggerFactory.getLogger(AdminAuthenticator.class);

  private final OperationsConfig.AdminOidc oidc;
  private final JwtVerifier verifier;
  private final DevLogin devLogin;

  /**
   * @param oidc the IdP, or null when none is configured
   * @param devLogin dev mode's login, or null outside dev mode
   */
  public AdminAuthenticator(OperationsConfig.AdminOidc oidc, DevLogin devLogin, JwksFetcher fetcher, Clock clock) {
    this.oidc = oidc;
    this.devLogin = devLogin;
    this.verifier =
        oidc == null
            ? null
            : new JwtVerifier(
                JwtRules.of(oidc.issuer(), oidc.audience(), JwtRules.parseAlgorithms(oidc.algorithms())),
                fetcher.oidcIssuerKeys(oidc.issuer(), clock),
                clock);
  }

  public Operator authenticate(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthenticated("the admin API needs Authorization: Bearer <token from your IdP>");
    }
    String token = authorization.substring(7).trim();
    if (token.startsWith(DevLogin.SESSION_PREFIX)) {
      if (devLogin == null) {
        throw unauthenticated("dev login sessions exist in dev mode only");
      }
      return devLogin.operator(token).orElseThrow(() -> unauthenticated("the dev login session is unknown or expired"));
    }
    if (verifier == null) {
      throw unauthenticated("no identity provider is configured for the admin API (admin.oidc)");
    }
    VerifiedJwt jwt;
    try {
      jwt = verifier.verify(token);
    } catch (AttestationException e) {
      // The verifier's messages name the failed check, never the token.
      LOG.info("admin token refused: {}", e.getMessage());
      throw unauthenticated("the token was refused: " + e.getMessage().replace("attestation token", "token"));
    }
    Set<Role> roles = roles(jwt.claims().get(oidc.rolesClaim()));
    Object subject = jwt.claims().get(oidc.subjectClaim());
    if (!(subject instanceof String name) || name.isBlank()) {
      throw unauthenticated("the token has no " + oidc.subjectClaim() + " claim to name the operator");
    }
    if (roles.isEmpty()) {
      throw new TaskException(ProblemType.FORBIDDEN, "no role: the token's " + oidc.rolesClaim() + " claim maps to none");
    }
    return new Operator(oidc.issuer(), name, roles, groups(jwt.claims().get(oidc.groupsClaim())));
  }

  /** The claim's string values as they are: approval rules name groups by these. */
  private static Set<String> groups(Object claim) {
    Collection<?> values = claim instanceof Collection<?> c ? c : claim == null ? List.of() : List.of(claim);
    Set<String> groups = new java.util.HashSet<>();
    for (Object v : values) {
      if (v instanceof String s && !s.isBlank()) {
        groups.add(s);
      }
    }
    return groups;
  }

  private Set<Role> roles(Object claim) {
    Collection<?> values = claim instanceof Collection<?> c ? c : claim == null ? List.of() : List.of(claim);
    Set<Role> roles = EnumSet.noneOf(Role.class);
    Map<String, String> mapping = oidc.roles();
    for (Object v : values) {
      if (v instanceof String s && mapping.containsKey(s)) {
        roles.add(Role.fromWire(mapping.get(s)));
      }
    }
    return roles;
  }

  static TaskException unauthenticated(String detail) {
    return new TaskException(ProblemType.NOT_AUTHENTICATED, detail);
  }
}
