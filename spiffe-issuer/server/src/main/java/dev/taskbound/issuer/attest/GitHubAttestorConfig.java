package dev.taskbound.issuer.attest;

import java.util.List;

/**
 * The {@code github} attestor.
 *
 * @param issuer GitHub's token service: {@value #PUBLIC_ISSUER} (default), the GHEC enterprise form
 *     {@code https://token.actions.githubusercontent.com/<enterprise-slug>}, or GHES
 *     {@code https://<host>/_services/token}
 * @param audience the {@code aud} the workflow requests; null means the Taskbound issuer's own URL
 * @param algorithms allowed signature algorithms; null or empty means {@code RS256} (what GitHub signs with)
 */
public record GitHubAttestorConfig(String issuer, String audience, List<String> algorithms) {
  public static final String PUBLIC_ISSUER = "https://token.actions.githubusercontent.com";

  public GitHubAttestorConfig {
    issuer = issuer == null || issuer.isBlank() ? PUBLIC_ISSUER : issuer;
    if (issuer.endsWith("/")) {
      // GitHub's iss has no trailing slash; an exact comparison would otherwise refuse every token.
      throw new IllegalArgumentException("github issuer must not end with '/': " + issuer);
    }
    algorithms = algorithms == null || algorithms.isEmpty() ? List.of("RS256") : List.copyOf(algorithms);
    JwtRules.parseAlgorithms(algorithms);
  }

  public GitHubAttestorConfig(String issuer, String audience) {
    this(issuer, audience, null);
  }

  /** Public GitHub, audience = the Taskbound issuer URL. */
  public static GitHubAttestorConfig publicGitHub() {
    return new GitHubAttestorConfig(null, null, null);
  }

  /** GitHub Enterprise Cloud with a customised issuer for the enterprise {@code slug}. */
  public static GitHubAttestorConfig enterpriseCloud(String slug, String audience) {
    if (slug == null || !slug.matches("[A-Za-z0-9][A-Za-z0-9-]*")) {
      throw new IllegalArgumentException("enterprise slug must be letters, digits and '-'");
    }
    return new GitHubAttestorConfig(PUBLIC_ISSUER + "/" + slug, audience, null);
  }

  /** GitHub Enterprise Server at {@code host} (e.g. {@code github.example.com}). */
  public static GitHubAttestorConfig enterpriseServer(String host, String audience) {
    if (host == null || host.isBlank() || host.contains("/")) {
      throw new IllegalArgumentException("GHES host must be a bare host name");
    }
    return new GitHubAttestorConfig("https://" + host + "/_services/token", audience, null);
  }
}
