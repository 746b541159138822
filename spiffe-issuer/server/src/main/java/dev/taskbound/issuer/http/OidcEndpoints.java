package dev.taskbound.issuer.http;

import dev.taskbound.issuer.exchange.OidcDiscovery;
import java.util.List;
import java.util.function.Supplier;

/** {@code GET /.well-known/openid-configuration} and {@code GET /jwks}: public, cacheable for a minute. */
public final class OidcEndpoints {
  private OidcEndpoints() {}

  public static List<HttpEndpoint> of(OidcDiscovery discovery) {
    return List.of(get(OidcDiscovery.PATH, discovery::document), get(OidcDiscovery.JWKS_PATH, discovery::jwks));
  }

  private static HttpEndpoint get(String path, Supplier<Object> body) {
    return new HttpEndpoint() {
      @Override
      public String method() {
        return "GET";
      }

      @Override
      public String path() {
        return path;
      }

      @Override
      public HttpReply handle(HttpRequestView request) {
        return OAuthForm.publicJson(body.get());
      }
    };
  }
}
