package dev.taskbound.issuer.http;

import dev.taskbound.issuer.exchange.OidcDiscovery;
import java.util.List;

/** {@code GET /.well-known/openid-configuration} and {@code GET /jwks}: public, cacheable for a minute. */
public final class OidcEndpoints {
  private OidcEndpoints() {}

  public static List<HttpEndpoint> of(OidcDiscovery discovery) {
    return List.of(
        HttpEndpoint.get(OidcDiscovery.PATH, r -> OAuthForm.publicJson(discovery.document())),
        HttpEndpoint.get(OidcDiscovery.JWKS_PATH, r -> OAuthForm.publicJson(discovery.jwks())));
  }

}
