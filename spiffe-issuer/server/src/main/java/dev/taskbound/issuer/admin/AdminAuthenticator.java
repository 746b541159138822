package dev.taskbound.issuer.admin;

import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.attest.AttestationException;
import dev.taskbound.issuer.attest.JwksFetcher;
import dev.taskbound.issuer.attest.JwksSource;
import dev.taskbound.issuer.attest.JwtRules;
import dev.taskbound.issuer.attest.JwtVerifier;
import dev.taskbound.issuer.attest.VerifiedJwt;
import dev.taskbound.issuer.config.OperationsConfig;
import dev.taskbound.issuer.task.TaskException;
import java.security.cert.X509Certificate;
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
  private final JwksSource idpKeys;
  private final JwtVerifier verifier;
  private final AdminSessions sessions;
  private final AdminCertificates certificates;
  private final Clock clock;

  /**
   * @param oidc the IdP, or null when none is configured
   * @param sessions dashboard sessions (dev mode's login link, the IdP login), or null when there are none
   * @param certificates client certificates accepted instead of a bearer token, or null when none are
   */
  public AdminAuthenticator(
      OperationsConfig.AdminOidc oidc, AdminSessions sessions, AdminCertificates certificates, JwksFetcher fetcher, Clock clock) {
    this.oidc = oidc;
    this.sessions = sessions;
    this.certificates = certificates;
    this.clock = clock;
    this.idpKeys = oidc == null ? null : fetcher.oidcIssuerKeys(oidc.issuer(), clock);
    this.verifier =
        oidc == null
            ? null
            : new JwtVerifier(JwtRules.of(oidc.issuer(), oidc.audience(), JwtRules.parseAlgorithms(oidc.algorithms())), idpKeys, clock);
  }

  /**
   * The verifier of the IdP's ID tokens for the dashboard's client: the admin tokens' verifier (same keys, issuer and
   * algorithms) for the client's {@code aud}. ID tokens need no {@code jti}: each is redeemed once with its code.
   */
  JwtVerifier idTokenVerifier(String clientId) {
    JwtRules admin = verifier.rules();
    return new JwtVerifier(
        new JwtRules(admin.issuer(), clientId, admin.algorithms(), null, null, admin.clockSkew(), admin.maxTokenChars(), true),
        idpKeys,
        clock);
  }

  public Operator authenticate(String authorization) {
    return authenticate(authorization, List.of());
  }

  /**
   * A bearer token when the request has an {@code Authorization} header, else the mutual-TLS client certificate
   * (leaf first) when there is one.
   */
  public Operator authenticate(String authorization, List<X509Certificate> clientCertificates) {
    if (authorization == null && !clientCertificates.isEmpty()) {
      if (certificates == null) {
        throw unauthenticated("client certificates are not accepted for the admin API here (admin.mtls); send a bearer token");
      }
      Operator operator = certificates.authenticate(clientCertificates);
      LOG.debug("admin client certificate accepted: {}", operator.subject());
      return operator;
    }
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthenticated(
          "the admin API needs Authorization: Bearer <token from your IdP>" + (certificates != null ? " or an admin client certificate" : ""));
    }
    String token = authorization.substring(7).trim();
    if (token.startsWith(AdminSessions.PREFIX)) {
      if (sessions == null) {
        throw unauthenticated("dashboard sessions exist in dev mode or with admin.oidc.login only");
      }
      return sessions.operator(token).orElseThrow(() -> unauthenticated("the dashboard session is unknown or expired; log in again"));
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
    return operator(jwt.claims(), "token");
  }

  /** The operator an IdP token's verified claims name: subject claim and roles claim mapped as configured. */
  Operator operator(Map<String, Object> claims, String what) {
    Set<Role> roles = roles(claims.get(oidc.rolesClaim()));
    Object subject = claims.get(oidc.subjectClaim());
    if (!(subject instanceof String name) || name.isBlank()) {
      throw unauthenticated("the " + what + " has no " + oidc.subjectClaim() + " claim to name the operator");
    }
    if (roles.isEmpty()) {
      throw new TaskException(ProblemType.FORBIDDEN, "no role: the " + what + "'s " + oidc.rolesClaim() + " claim maps to none");
    }
    return new Operator(oidc.issuer(), name, roles, groups(claims.get(oidc.groupsClaim())));
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
