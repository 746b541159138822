package dev.taskbound.issuer.http;

import dev.taskbound.issuer.exchange.OAuthException;
import dev.taskbound.issuer.exchange.TokenService;
import dev.taskbound.issuer.store.StoreException;

/** {@code POST /introspect}: RFC 7662 on the wire. */
public final class IntrospectionEndpoint implements HttpEndpoint {
  private final TokenService tokens;

  public IntrospectionEndpoint(TokenService tokens) {
    this.tokens = tokens;
  }

  @Override
  public String method() {
    return "POST";
  }

  @Override
  public String path() {
    return "/introspect";
  }

  @Override
  public HttpReply handle(HttpRequestView request) {
    try {
      String authorization = request.header("Authorization");
      OAuthForm form = OAuthForm.of(request);
      String token = form.single("token");
      // Authenticate before looking at the request further, so an anonymous caller learns nothing.
      if (token == null) {
        tokens.introspect(authorization, null);
        throw OAuthException.invalidRequest("token is required");
      }
      return OAuthForm.json(200, tokens.introspect(authorization, token));
    } catch (OAuthException e) {
      return OAuthForm.error(e);
    } catch (IllegalStateException | StoreException e) {
      // The database is unreachable (or a control token could not be checked): say so, never "inactive".
      return OAuthForm.unavailable();
    }
  }
}
