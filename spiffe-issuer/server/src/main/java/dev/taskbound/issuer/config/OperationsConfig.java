package dev.taskbound.issuer.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What operators reach: {@code /metrics}, the admin API and dashboard, and the issuer's own log.
 *
 * @param metricsTokenEnv the environment variable holding the bearer token {@code /metrics} requires; null: public
 * @param adminOidc the organisation's IdP whose tokens the admin API accepts; null: none (dev mode's login link only)
 * @param adminMtls client certificates the admin API accepts instead of a bearer token; null: none
 * @param logFormat how the issuer logs: {@code text} (default) or {@code json} (one JSON object per line)
 * @param approvalWebhook where pending approval requests are announced; null: nowhere
 */
public record OperationsConfig(
    String metricsTokenEnv, AdminOidc adminOidc, AdminMtls adminMtls, LogFormat logFormat, ApprovalWebhook approvalWebhook) {
  public static final Set<String> ROLES = Set.of("viewer", "operator", "approver");

  public OperationsConfig {
    logFormat = logFormat == null ? LogFormat.TEXT : logFormat;
  }

  public OperationsConfig(String metricsTokenEnv, AdminOidc adminOidc, AdminMtls adminMtls, LogFormat logFormat) {
    this(metricsTokenEnv, adminOidc, adminMtls, logFormat, null);
  }

  public OperationsConfig(String metricsTokenEnv, AdminOidc adminOidc) {
    this(metricsTokenEnv, adminOidc, null, LogFormat.TEXT, null);
  }

  public static OperationsConfig defaults() {
    return new OperationsConfig(null, null, null, LogFormat.TEXT, null);
  }

  /**
   * A webhook told of every new approval request (so a chat bot can ping the approvers): a JSON body signed with
   * HMAC-SHA256 under a shared secret, retried with back-off a bounded number of times.
   *
   * @param url an {@code https} URL (or {@code http} on loopback)
   * @param secretEnv the environment variable holding the HMAC secret (required)
   * @param maxAttempts deliveries tried per request (default 5)
   * @param initialBackoff the wait after the first failure, doubling after each (default 1 s)
   */
  public record ApprovalWebhook(String url, String secretEnv, int maxAttempts, java.time.Duration initialBackoff) {
    public ApprovalWebhook {
      if (url == null || url.isBlank()) {
        throw new IllegalArgumentException("admin.approval_webhook.url is required");
      }
      java.net.URI u;
      try {
        u = java.net.URI.create(url);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("admin.approval_webhook.url is not a URL: " + url);
      }
      boolean loopback = "127.0.0.1".equals(u.getHost()) || "localhost".equals(u.getHost()) || "[::1]".equals(u.getHost());
      if (!"https".equals(u.getScheme()) && !("http".equals(u.getScheme()) && loopback)) {
        throw new IllegalArgumentException("admin.approval_webhook.url must be https (http only on loopback): " + url);
      }
      if (secretEnv == null || secretEnv.isBlank()) {
        throw new IllegalArgumentException("admin.approval_webhook.secret_env is required: receivers must be able to check the signature");
      }
      maxAttempts = maxAttempts <= 0 ? 5 : maxAttempts;
      if (maxAttempts > 20) {
        throw new IllegalArgumentException("admin.approval_webhook.max_attempts is at most 20");
      }
      initialBackoff = initialBackoff == null ? java.time.Duration.ofSeconds(1) : initialBackoff;
    }
  }

  /** {@code log.format}. */
  public enum LogFormat {
    /** Human-readable lines: {@code [thread] LEVEL logger - message}. */
    TEXT,
    /** One JSON object per line (Logstash field names), with {@code task_id} and {@code spiffe_id} where known. */
    JSON
  }

  /**
   * OIDC bearer tokens for the admin API.
   *
   * @param issuer the IdP's exact {@code iss}; its keys come from its discovery document
   * @param audience the {@code aud} the tokens must carry (the client id registered for Taskbound)
   * @param algorithms allowed signature algorithms
   * @param subjectClaim the claim naming the operator in the evidence log (default {@code sub})
   * @param rolesClaim the claim (a string or an array of strings) mapped to roles (default {@code groups})
   * @param roles claim value → {@code viewer}, {@code operator} or {@code approver}
   * @param login the dashboard's sign-in through this IdP (authorization code + PKCE); null: none
   * @param groupsClaim the claim (a string or an array of strings) naming the groups an approver belongs to; a rule's
   *     {@code approval:} group must be among them (default: the roles claim)
   */
  public record AdminOidc(
      String issuer, String audience, List<String> algorithms, String subjectClaim, String rolesClaim,
      Map<String, String> roles, Login login, String groupsClaim) {
    public AdminOidc {
      if (issuer == null || issuer.isBlank() || audience == null || audience.isBlank()) {
        throw new IllegalArgumentException("admin.oidc.issuer and admin.oidc.audience are required");
      }
      algorithms = algorithms == null || algorithms.isEmpty() ? List.of("RS256", "ES256") : List.copyOf(algorithms);
      subjectClaim = subjectClaim == null ? "sub" : subjectClaim;
      rolesClaim = rolesClaim == null ? "groups" : rolesClaim;
      groupsClaim = groupsClaim == null ? rolesClaim : groupsClaim;
      roles = checkedRoles("admin.oidc.roles", roles);
    }

    public AdminOidc(
        String issuer, String audience, List<String> algorithms, String subjectClaim, String rolesClaim,
        Map<String, String> roles, Login login) {
      this(issuer, audience, algorithms, subjectClaim, rolesClaim, roles, login, null);
    }

    public AdminOidc(
        String issuer, String audience, List<String> algorithms, String subjectClaim, String rolesClaim,
        Map<String, String> roles) {
      this(issuer, audience, algorithms, subjectClaim, rolesClaim, roles, null, null);
    }
  }

  /**
   * The dashboard's sign-in through the IdP: the issuer is the OAuth client, runs the authorization-code flow with
   * PKCE (S256), {@code state} and {@code nonce}, redeems the code itself and verifies the ID token like an admin
   * bearer token.
   *
   * @param clientId the client registered at the IdP (default: {@code admin.oidc.audience}); the ID token's {@code aud}
   * @param clientSecretEnv the environment variable holding the client secret of a confidential client; null: a
   *     public client (PKCE only)
   * @param redirectUri where the IdP sends the browser back (default {@code <issuer_url>/ui/}); registered at the IdP
   * @param scopes requested scopes; {@code openid} is always among them
   * @param authorizationEndpoint the IdP's authorization endpoint; null: from its discovery document
   * @param tokenEndpoint the IdP's token endpoint; null: from its discovery document
   * @param sessionLifetime how long a dashboard session lasts
   */
  public record Login(
      String clientId, String clientSecretEnv, String redirectUri, List<String> scopes, String authorizationEndpoint,
      String tokenEndpoint, Duration sessionLifetime) {
    public static final Duration DEFAULT_SESSION_LIFETIME = Duration.ofHours(8);

    public Login {
      scopes = scopes == null || scopes.isEmpty() ? List.of("openid", "profile", "email") : List.copyOf(scopes);
      if (!scopes.contains("openid")) {
        throw new IllegalArgumentException("admin.oidc.login.scopes must include openid");
      }
      sessionLifetime = sessionLifetime == null ? DEFAULT_SESSION_LIFETIME : sessionLifetime;
      if (sessionLifetime.compareTo(Duration.ofMinutes(1)) < 0 || sessionLifetime.compareTo(Duration.ofHours(24)) > 0) {
        throw new IllegalArgumentException("admin.oidc.login.session_lifetime must be between 1m and 24h");
      }
    }
  }

  /**
   * Client certificates for the admin API (HTTPS listener only).
   *
   * @param caFile PEM certificates of the CA(s) that issue operators' client certificates
   * @param roles a certificate identity → role: a URI SAN ({@code spiffe://…}, {@code https://…}, anything with
   *     {@code ://}) or a subject distinguished name in RFC 4514 form ({@code CN=alice,OU=SRE,O=Acme})
   */
  public record AdminMtls(Path caFile, Map<String, String> roles) {
    public AdminMtls {
      if (caFile == null) {
        throw new IllegalArgumentException("admin.mtls.ca_file is required");
      }
      roles = checkedRoles("admin.mtls.roles", roles);
      if (roles.isEmpty()) {
        throw new IllegalArgumentException("admin.mtls.roles must map at least one certificate identity to a role");
      }
    }
  }

  private static Map<String, String> checkedRoles(String key, Map<String, String> roles) {
    roles = roles == null ? Map.of() : Map.copyOf(roles);
    for (Map.Entry<String, String> e : roles.entrySet()) {
      if (!ROLES.contains(e.getValue())) {
        throw new IllegalArgumentException(key + "." + e.getKey() + " must be viewer, operator or approver: " + e.getValue());
      }
    }
    return roles;
  }
}
