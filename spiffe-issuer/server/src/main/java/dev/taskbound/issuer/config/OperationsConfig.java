package dev.taskbound.issuer.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What operators reach: {@code /metrics}, the admin API and dashboard.
 *
 * @param metricsTokenEnv the environment variable holding the bearer token {@code /metrics} requires; null: public
 * @param adminOidc the organisation's IdP whose tokens the admin API accepts; null: none (dev mode's login link only)
 */
public record OperationsConfig(String metricsTokenEnv, AdminOidc adminOidc) {
  public static final Set<String> ROLES = Set.of("viewer", "operator", "approver");

  public static OperationsConfig defaults() {
    return new OperationsConfig(null, null);
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
   */
  public record AdminOidc(
      String issuer, String audience, List<String> algorithms, String subjectClaim, String rolesClaim,
      Map<String, String> roles) {
    public AdminOidc {
      if (issuer == null || issuer.isBlank() || audience == null || audience.isBlank()) {
        throw new IllegalArgumentException("admin.oidc.issuer and admin.oidc.audience are required");
      }
      algorithms = algorithms == null || algorithms.isEmpty() ? List.of("RS256", "ES256") : List.copyOf(algorithms);
      subjectClaim = subjectClaim == null ? "sub" : subjectClaim;
      rolesClaim = rolesClaim == null ? "groups" : rolesClaim;
      roles = roles == null ? Map.of() : Map.copyOf(roles);
      for (Map.Entry<String, String> e : roles.entrySet()) {
        if (!ROLES.contains(e.getValue())) {
          throw new IllegalArgumentException(
              "admin.oidc.roles." + e.getKey() + " must be viewer, operator or approver: " + e.getValue());
        }
      }
    }
  }
}
