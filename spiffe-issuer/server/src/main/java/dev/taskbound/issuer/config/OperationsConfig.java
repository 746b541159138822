package dev.taskbound.issuer.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What operators reach: {@code /metrics}, the admin API and dashboard.
 *
 * @param metricsTokenEnv the environment variable holding the bearer token {@code /metrics} requires; null: public
 * @param adminOidc the organisation's IdP whose tokens the admin API accepts; null: none (dev mode's login link only)
 * @param approvalWebhook where pending approval requests are announced; null: nowhere
 */
public record OperationsConfig(String metricsTokenEnv, AdminOidc adminOidc, ApprovalWebhook approvalWebhook) {
  public static final Set<String> ROLES = Set.of("viewer", "operator", "approver");

  public OperationsConfig(String metricsTokenEnv, AdminOidc adminOidc) {
    this(metricsTokenEnv, adminOidc, null);
  }

  public static OperationsConfig defaults() {
    return new OperationsConfig(null, null, null);
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

  /**
   * OIDC bearer tokens for the admin API.
   *
   * @param issuer the IdP's exact {@code iss}; its keys come from its discovery document
   * @param audience the {@code aud} the tokens must carry (the client id registered for Taskbound)
   * @param algorithms allowed signature algorithms
   * @param subjectClaim the claim naming the operator in the evidence log (default {@code sub})
   * @param rolesClaim the claim (a string or an array of strings) mapped to roles (default {@code groups})
   * @param roles claim value → {@code viewer}, {@code operator} or {@code approver}
   * @param groupsClaim the claim (a string or an array of strings) naming the groups an approver belongs to; a rule's
   *     {@code approval:} group must be among them (default: the roles claim)
   */
  public record AdminOidc(
      String issuer, String audience, List<String> algorithms, String subjectClaim, String rolesClaim,
      Map<String, String> roles, String groupsClaim) {
    public AdminOidc {
      if (issuer == null || issuer.isBlank() || audience == null || audience.isBlank()) {
        throw new IllegalArgumentException("admin.oidc.issuer and admin.oidc.audience are required");
      }
      algorithms = algorithms == null || algorithms.isEmpty() ? List.of("RS256", "ES256") : List.copyOf(algorithms);
      subjectClaim = subjectClaim == null ? "sub" : subjectClaim;
      rolesClaim = rolesClaim == null ? "groups" : rolesClaim;
      groupsClaim = groupsClaim == null ? rolesClaim : groupsClaim;
      roles = roles == null ? Map.of() : Map.copyOf(roles);
      for (Map.Entry<String, String> e : roles.entrySet()) {
        if (!ROLES.contains(e.getValue())) {
          throw new IllegalArgumentException(
              "admin.oidc.roles." + e.getKey() + " must be viewer, operator or approver: " + e.getValue());
        }
      }
    }

    public AdminOidc(
        String issuer, String audience, List<String> algorithms, String subjectClaim, String rolesClaim,
        Map<String, String> roles) {
      this(issuer, audience, algorithms, subjectClaim, rolesClaim, roles, null);
    }
  }
}
