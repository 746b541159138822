package dev.taskbound.issuer.exchange;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import dev.taskbound.issuer.ca.DownstreamSigningKeys;
import dev.taskbound.issuer.ca.JwtSvidMinter;
import dev.taskbound.issuer.ca.TrustBundleSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OpenID Connect discovery document of the issuer. Relying parties need only this and {@code jwks_uri} to verify
 * our tokens: downstream tokens from the exchange, and JWT-SVIDs minted for them directly (their audiences are
 * policy-checked at begin), as SPIRE's OIDC discovery provider publishes JWT-SVID keys for cloud federation. The
 * algorithms listed are those with a key.
 */
public final class OidcDiscovery {
  public static final String PATH = "/.well-known/openid-configuration";
  public static final String JWKS_PATH = "/jwks";

  private final String issuerUrl;
  private final DownstreamSigningKeys keys;
  private final TrustBundleSource bundle;

  OidcDiscovery(String issuerUrl, DownstreamSigningKeys keys, TrustBundleSource bundle) {
    this.issuerUrl = issuerUrl;
    this.keys = keys;
    this.bundle = bundle;
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
    doc.put("id_token_signing_alg_values_supported", algorithms());
    doc.put("grant_types_supported", List.of(TokenExchange.GRANT_TYPE));
    doc.put("token_endpoint_auth_methods_supported", List.of("none", "tls_client_auth"));
    doc.put("introspection_endpoint_auth_methods_supported", List.of("client_secret_basic", "bearer"));
    doc.put("revocation_endpoint_auth_methods_supported", List.of("client_secret_basic", "bearer"));
    doc.put("claims_supported", List.of("iss", "sub", "aud", "exp", "iat", "jti", "act", "cnf", JwtSvidMinter.TASK_CLAIM));
    return doc;
  }

  /**
   * The body of {@code GET /jwks}: the downstream signing keys and the JWT-SVID authorities of the bundle (prepared,
   * active, retired), each {@code use: sig} with {@code kid} and {@code alg}. Public halves only.
   */
  public Map<String, Object> jwks() {
    List<JWK> all = new ArrayList<>(keys.jwks().getKeys());
    for (JWK svidKey : bundle.current().jwtAuthorities()) {
      all.add(asSigningKey(svidKey));
    }
    return new JWKSet(all).toJSONObject(true);
  }

  private List<String> algorithms() {
    Set<String> algs = new LinkedHashSet<>(keys.algorithms());
    bundle.current().jwtAuthorities().forEach(k -> algs.add(algorithmOf(k).getName()));
    return List.copyOf(algs);
  }

  /** A bundle's {@code use: jwt-svid} key, as an OIDC relying party expects it: {@code use: sig} and its {@code alg}. */
  private static JWK asSigningKey(JWK key) {
    JWSAlgorithm alg = algorithmOf(key);
    if (key instanceof ECKey ec) {
      return new ECKey.Builder(ec.toPublicJWK()).keyUse(KeyUse.SIGNATURE).algorithm(alg).build();
    }
    return new RSAKey.Builder(((RSAKey) key).toPublicJWK()).keyUse(KeyUse.SIGNATURE).algorithm(alg).build();
  }

  private static JWSAlgorithm algorithmOf(JWK key) {
    if (key.getAlgorithm() != null) {
      return JWSAlgorithm.parse(key.getAlgorithm().getName());
    }
    return key instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
  }
}
