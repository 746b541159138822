package dev.taskbound.issuer.http;

import dev.taskbound.issuer.exchange.ExchangeRequest;
import dev.taskbound.issuer.exchange.IssuedToken;
import dev.taskbound.issuer.exchange.OAuthException;
import dev.taskbound.issuer.exchange.TokenService;
import dev.taskbound.issuer.store.StoreException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code POST /token}: RFC 8693 token exchange on the wire; the rules live in {@link TokenService}. */
public final class TokenEndpoint implements HttpEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(TokenEndpoint.class);
  private final TokenService tokens;

  public TokenEndpoint(TokenService tokens) {
    this.tokens = tokens;
  }

  @Override
  public String method() {
    return "POST";
  }

  @Override
  public String path() {
    return "/token";
  }

  @Override
  public HttpReply handle(HttpRequestView request) {
    try {
      OAuthForm form = OAuthForm.of(request);
      IssuedToken issued =
          tokens.exchange(
              new ExchangeRequest(
                  form.single("grant_type"),
                  form.single("subject_token"),
                  form.single("subject_token_type"),
                  form.single("actor_token"),
                  form.single("actor_token_type"),
                  form.single("requested_token_type"),
                  form.all("audience"),
                  form.all("resource"),
                  request.clientCertificates()));
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("access_token", issued.accessToken());
      body.put("issued_token_type", issued.issuedTokenType());
      body.put("token_type", issued.tokenType());
      body.put("expires_in", issued.expiresIn());
      return OAuthForm.json(200, body);
    } catch (OAuthException e) {
      LOG.info("token exchange refused: {} ({})", e.error(), e.getMessage());
      return OAuthForm.error(e);
    } catch (IllegalStateException | StoreException e) {
      LOG.error("token exchange failed", e);
      return OAuthForm.unavailable();
    }
  }
}
