package dev.taskbound.issuer.attest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A generic OIDC attestor, type {@code oidc:<name>} (GitLab {@code id_tokens}, Buildkite, CircleCI …).
 *
 * @param name lower-case letters, digits and '-'; the attestation type is {@code oidc:<name>}
 * @param issuer the exact {@code iss}; keys come from its discovery document
 * @param audience the {@code aud} the pipeline requests; null means the Taskbound issuer's own URL
 * @param algorithms allowed signature algorithms; null or empty means {@code RS256}
 * @param claimMapping context key → claim name, e.g. {@code repository → project_path}, {@code run_id →
 *     pipeline_id}
 * @param singleUseByTokenDigest each token is accepted once by its SHA-256 rather than by its {@code jti}, for CIs
 *     whose tokens carry none ({@code single_use: token})
 */
public record OidcAttestorConfig(
    String name, String issuer, String audience, List<String> algorithms, Map<String, String> claimMapping,
    boolean singleUseByTokenDigest) {

  /** Single use by {@code jti}, the default. */
  public OidcAttestorConfig(String name, String issuer, String audience, List<String> algorithms, Map<String, String> claimMapping) {
    this(name, issuer, audience, algorithms, claimMapping, false);
  }

  /** Context keys the attestor sets itself; a mapping may not overwrite them. */
  static final Set<String> RESERVED_KEYS = Set.of("platform", "provider");

  public OidcAttestorConfig {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z0-9][a-z0-9-]*")) {
      throw new IllegalArgumentException("oidc attestor name must be lower-case letters, digits and '-': " + name);
    }
    if (issuer == null || issuer.isBlank()) {
      throw new IllegalArgumentException("oidc attestor '" + name + "' needs an issuer");
    }
    algorithms = algorithms == null || algorithms.isEmpty() ? List.of("RS256") : List.copyOf(algorithms);
    JwtRules.parseAlgorithms(algorithms);
    claimMapping = claimMapping == null ? Map.of() : new LinkedHashMap<>(claimMapping);
    for (Map.Entry<String, String> entry : claimMapping.entrySet()) {
      if (RESERVED_KEYS.contains(entry.getKey())) {
        throw new IllegalArgumentException("context key '" + entry.getKey() + "' is set by the attestor");
      }
      if (entry.getValue() == null || entry.getValue().isBlank()) {
        throw new IllegalArgumentException("context key '" + entry.getKey() + "' maps to no claim");
      }
    }
    claimMapping = java.util.Collections.unmodifiableMap(claimMapping);
  }

  public String type() {
    return GenericOidcAttestor.TYPE_PREFIX + name;
  }
}
