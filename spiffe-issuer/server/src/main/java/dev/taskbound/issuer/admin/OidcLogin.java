package dev.taskbound.issuer.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.attest.AttestationException;
import dev.taskbound.issuer.attest.JwksFetcher;
import dev.taskbound.issuer.attest.JwtVerifier;
import dev.taskbound.issuer.attest.VerifiedJwt;
import dev.taskbound.issuer.config.OperationsConfig;
import dev.taskbound.issuer.task.TaskException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's sign-in through the organisation's IdP, OAuth 2.0 authorization code with PKCE (RFC 7636, S256)
 * and OpenID Connect, the issuer being the client (as Vault's and Teleport's servers are): it keeps {@code state},
 * {@code nonce} and the code verifier, redeems the code at the IdP's token endpoint itself (with the client secret
 * when it is a confidential client), verifies the ID token with the admin API's verifier and role mapping, checks
 * its {@code nonce}, and opens a dashboard session.
 *
 * <p>The page that starts a sign-in gives a random {@code client_nonce} and must give it again with the code: a
 * code and state carried into another browser (login CSRF) are refused. A pending sign-in is spent by its first
 * callback, right or wrong, and lasts {@value #PENDING_MINUTES} minutes. Codes, tokens and verifiers are never logged.
 */
public final class OidcLogin {
  private static final Logger LOG = LoggerFactory.getLogger(OidcLogin.class);
  static final int PENDING_MINUTES = 10;
  private static final int MAX_PENDING = 10_000;
  private static final int MAX_RESPONSE_BYTES = 1024 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final OperationsConfig.AdminOidc oidc;
  private final OperationsConfig.Login login;
  private final String clientId;
  private final String clientSecret;
  private final String redirectUri;
  private final AdminAuthenticator auth;
  private final JwtVerifier idTokens;
  private final AdminSessions sessions;
  private final JwksFetcher fetcher;
  private final HttpClient http;
  private final Clock clock;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private volatile Endpoints endpoints;

  private record Pending(String nonce, String codeVerifier, String clientNonceSha256, Instant expiresAt) {}

  private record Endpoints(URI authorization, URI token) {}

  /** @param env reads the client secret's environment variable */
  public OidcLogin(
      OperationsConfig.AdminOidc oidc, String issuerUrl, AdminAuthenticator auth, AdminSessions sessions, JwksFetcher fetcher,
      Function<String, String> env, Clock clock) {
    this.oidc = oidc;
    this.login = oidc.login();
    this.clientId = login.clientId() != null ? login.clientId() : oidc.audience();
    this.redirectUri = login.redirectUri() != null ? login.redirectUri() : issuerUrl + "/ui/";
    if (login.clientSecretEnv() != null) {
      String secret = env.apply(login.clientSecretEnv());
      if (secret == null || secret.isBlank()) {
        throw new IllegalStateException("admin.oidc.login.client_secret_env names " + login.clientSecretEnv() + ", which is not set");
      }
      this.clientSecret = secret;
    } else {
      this.clientSecret = null;
    }
    this.auth = auth;
    this.idTokens = auth.idTokenVerifier(clientId);
    this.sessions = sessions;
    this.fetcher = fetcher;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
    this.clock = clock;
  }

  /** The redirect URI registered at the IdP, where the dashboard receives the code. */
  public String redirectUri() {
    return redirectUri;
  }

  /**
   * Begins a sign-in for the page that chose {@code clientNonce}: the IdP's authorization URL with a fresh
   * {@code state}, {@code nonce} and S256 code challenge.
   */
  public URI start(String clientNonce) {
    if (clientNonce == null || clientNonce.length() < 22 || clientNonce.length() > 128) {
      throw malformed("client_nonce is required: a random value of 22 to 128 characters the page keeps");
    }
    Instant now = clock.instant();
    if (pending.size() >= MAX_PENDING) {
      pending.values().removeIf(p -> !now.isBefore(p.expiresAt()));
      if (pending.size() >= MAX_PENDING) {
        throw AdminAuthenticator.unauthenticated("too many sign-ins are in progress; retry in a few minutes");
      }
    }
    String state = AdminSessions.random("");
    String nonce = AdminSessions.random("");
    String verifier = AdminSessions.random("");
    pending.put(state, new Pending(nonce, verifier, AdminSessions.sha256(clientNonce), now.plus(Duration.ofMinutes(PENDING_MINUTES))));
    Map<String, String> query = new LinkedHashMap<>();
    query.put("response_type", "code");
    query.put("client_id", clientId);
    query.put("redirect_uri", redirectUri);
    query.put("scope", String.join(" ", login.scopes()));
    query.put("state", state);
    query.put("nonce", nonce);
    query.put("code_challenge", s256(verifier));
    query.put("code_challenge_method", "S256");
    URI authorization = endpoints().authorization();
    String sep = authorization.getRawQuery() == null ? "?" : "&";
    return URI.create(authorization + sep + form(query));
  }

  /**
   * Finishes a sign-in: spends the pending one named by {@code state}, redeems {@code code} with its verifier, and
   * opens a session for the operator the verified ID token names. Every refusal is {@code 401} (a token mapped to
   * no role {@code 403}) and opens nothing.
   */
  public AdminSessions.Session finish(String code, String state, String clientNonce) {
    if (code == null || code.isBlank() || state == null || state.isBlank() || clientNonce == null) {
      throw malformed("code, state and client_nonce are required");
    }
    Pending p = pending.remove(state);
    if (p == null || !clock.instant().isBefore(p.expiresAt())) {
      throw AdminAuthenticator.unauthenticated("sign-in refused: the state is unknown, spent or expired; sign in again");
    }
    if (!MessageDigest.isEqual(
        p.clientNonceSha256().getBytes(StandardCharsets.US_ASCII), AdminSessions.sha256(clientNonce).getBytes(StandardCharsets.US_ASCII))) {
      throw AdminAuthenticator.unauthenticated("sign-in refused: it was started by another page; sign in again");
    }
    String idToken = redeem(code, p.codeVerifier());
    VerifiedJwt jwt;
    try {
      jwt = idTokens.verify(idToken);
    } catch (AttestationException e) {
      LOG.info("dashboard sign-in refused: ID token: {}", e.getMessage());
      throw AdminAuthenticator.unauthenticated("sign-in refused: the ID token was refused: " + e.getMessage().replace("attestation token", "token"));
    }
    Object nonce = jwt.claims().get("nonce");
    if (!(nonce instanceof String n) || !MessageDigest.isEqual(n.getBytes(StandardCharsets.UTF_8), p.nonce().getBytes(StandardCharsets.UTF_8))) {
      LOG.info("dashboard sign-in refused: ID token nonce does not match");
      throw AdminAuthenticator.unauthenticated("sign-in refused: the ID token's nonce is not the one this sign-in sent");
    }
    Operator operator = auth.operator(jwt.claims(), "ID token");
    LOG.info("dashboard sign-in: {} ({}) as {}", operator.subject(), operator.issuer(),
        operator.roles().stream().map(Role::wire).sorted().toList());
    return sessions.open(operator, login.sessionLifetime());
  }

  /** POSTs the code and verifier to the token endpoint; the ID token, or 401 with the IdP's error code. */
  private String redeem(String code, String verifier) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("grant_type", "authorization_code");
    body.put("code", code);
    body.put("redirect_uri", redirectUri);
    body.put("code_verifier", verifier);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(endpoints().token())
            .timeout(TIMEOUT)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json");
    if (clientSecret != null) {
      // client_secret_basic (RFC 6749 §2.3.1): both parts form-encoded before Base64.
      String basic = URLEncoder.encode(clientId, StandardCharsets.UTF_8) + ":" + URLEncoder.encode(clientSecret, StandardCharsets.UTF_8);
      request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
    } else {
      body.put("client_id", clientId);
    }
    JsonNode answer;
    int status;
    try {
      HttpResponse<InputStream> response =
          http.send(request.POST(HttpRequest.BodyPublishers.ofString(form(body))).build(), HttpResponse.BodyHandlers.ofInputStream());
      status = response.statusCode();
      try (InputStream in = response.body()) {
        byte[] bytes = in.readNBytes(MAX_RESPONSE_BYTES + 1);
        answer = bytes.length > MAX_RESPONSE_BYTES ? null : ApiJson.mapper().readTree(bytes);
      }
    } catch (IOException e) {
      LOG.warn("dashboard sign-in: the IdP's token endpoint {} failed: {}", endpoints().token(), e.getClass().getSimpleName());
      throw AdminAuthenticator.unauthenticated("sign-in failed: the IdP's token endpoint could not be reached; retry");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw AdminAuthenticator.unauthenticated("sign-in failed: interrupted");
    }
    if (status != 200 || answer == null || !answer.path("id_token").isTextual()) {
      // RFC 6749 §5.2 error codes are safe to repeat; the description is the IdP's text, kept out of the answer.
      String error = answer != null && answer.path("error").isTextual() ? answer.path("error").asText().replaceAll("[^A-Za-z0-9_.-]", "") : "no id_token";
      LOG.info("dashboard sign-in refused by the IdP: HTTP {} {}", status, error);
      throw AdminAuthenticator.unauthenticated("sign-in refused: the IdP did not redeem the code (" + error + ")");
    }
    return answer.path("id_token").asText();
  }

  /** The configured endpoints, else the IdP's discovery document's, read once on the first sign-in. */
  private Endpoints endpoints() {
    Endpoints known = endpoints;
    if (known != null) {
      return known;
    }
    String authorization = login.authorizationEndpoint();
    String token = login.tokenEndpoint();
    if (authorization == null || token == null) {
      JsonNode doc;
      try {
        doc = fetcher.discovery(oidc.issuer());
      } catch (AttestationException e) {
        throw AdminAuthenticator.unauthenticated("sign-in failed: the IdP's discovery document could not be read: " + e.getMessage());
      }
      authorization = authorization != null ? authorization : doc.path("authorization_endpoint").asText(null);
      token = token != null ? token : doc.path("token_endpoint").asText(null);
      if (authorization == null || token == null) {
        throw AdminAuthenticator.unauthenticated("sign-in failed: the IdP's discovery document names no authorization_endpoint or token_endpoint");
      }
    }
    try {
      known = new Endpoints(JwksFetcher.checkedUri(authorization), JwksFetcher.checkedUri(token));
    } catch (AttestationException e) {
      throw AdminAuthenticator.unauthenticated("sign-in failed: the IdP's endpoints must be https: " + e.getMessage());
    }
    endpoints = known;
    return known;
  }

  private static TaskException malformed(String detail) {
    return new TaskException(ProblemType.MALFORMED_REQUEST, detail);
  }

  private static String s256(String verifier) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String form(Map<String, String> fields) {
    return fields.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }
}
