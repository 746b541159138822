package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.ca.JwtSvidMinter;
import dev.taskbound.issuer.ca.DownstreamSigningKeys;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenID Connect discovery document of the issuer as a provider of downstream tokens. Relying parties need
 * only this and {@code jwks_uri} to verify our tokens; the algorithms listed are those with a key.
 */
public final class OidcDiscovery {
  public static final String PATH = "/.well-known/openid-configuration";
  public static final String JWKS_PATH = "/jwks";

  private final String issuerUrl;
  private final DownstreamSigningKeys keys;

  OidcDiscovery(String issuerUrl, DownstreamSigningKeys keys) {
    this.issuerUrl = issuerUrl;
    this.keys = keys;
  }

  public Map<String, Object> document() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("issuer", issuerUrl);
    doc.put("jwks_uri", issuerUrl + JWKS_PATH);
    doc.put("token_endpoint", issuerUrl + TokenExchange.TOKEN_PATH);
    doc.put("introspection_endpoint", issuerUrl + "/introspect");
    doc.put("revocation_endpoint", issuerUrl + "/revoke");
    doc.put("response_types_supported", List.of("id_token"));
    doc.put("subject_types_supported", List.of("public"));
    doc.put("id_token_signing_alg_values_supported", keys.algorithms());
    doc.put("grant_types_supported", List.of(TokenExchange.GRANT_TYPE));
    doc.put("token_endpoint_auth_methods_supported", List.of("none", "tls_client_auth"));
    doc.put("introspection_endpoint_auth_methods_supported", List.of("client_secret_basic", "bearer"));
    doc.put("revocation_endpoint_auth_methods_supported", List.of("client_secret_basic", "bearer"));
    doc.put("claims_supported", List.of("iss", "sub", "aud", "exp", "iat", "jti", "act", "cnf", JwtSvidMinter.TASK_CLAIM));
    return doc;
  }

  /** The body of {@code GET /jwks}: downstream signing keys only, {@code use: sig}, with {@code kid} and {@code alg}. */
  public Map<String, Object> jwks() {
    return keys.jwks().toJSONObject(true);
  }
}
