package dev.taskbound.issuer.http;

import dev.taskbound.issuer.exchange.OAuthException;
import dev.taskbound.issuer.exchange.TokenService;
import dev.taskbound.issuer.store.StoreException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code POST /revoke}: RFC 7009 on the wire; 200 whether or not the token was known. */
public final class RevocationEndpoint implements HttpEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(RevocationEndpoint.class);
  private final TokenService tokens;

  public RevocationEndpoint(TokenService tokens) {
    this.tokens = tokens;
  }

  @Override
  public String method() {
    return "POST";
  }

  @Override
  public String path() {
    return "/revoke";
  }

  @Override
  public HttpReply handle(HttpRequestView request) {
    try {
      String authorization = request.header("Authorization");
      OAuthForm form = OAuthForm.of(request);
      // Authenticates before looking at the token, so an anonymous caller learns nothing.
      tokens.revoke(authorization, form.single("token"));
      return OAuthForm.json(200, Map.of());
    } catch (OAuthException e) {
      return OAuthForm.error(e);
    } catch (IllegalStateException | StoreException e) {
      LOG.error("revocation failed", e);
      return OAuthForm.unavailable();
    }
  }
}
