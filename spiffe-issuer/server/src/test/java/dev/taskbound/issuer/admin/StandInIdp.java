package dev.taskbound.issuer.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.taskbound.api.ApiJson;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * An OIDC identity provider, protocol-exact, over real HTTP on loopback: a discovery document, a JWKS, RS256 tokens
 * signed with the published key, and the authorization-code flow with PKCE as RFC 6749, RFC 7636 and OpenID Connect
 * Core describe it: {@code /authorize} checks the client, its exact redirect URI and an S256 challenge and signs
 * in whoever {@link #signInAs} named (no login form); {@code /token} redeems a code once, for the same client and
 * redirect URI, only with the verifier of its challenge (and the client secret of a confidential client), and
 * answers an ID token carrying the request's {@code nonce}. Knobs make it misbehave the way tests need.
 */
public final class StandInIdp implements AutoCloseable {
  public static final String AUDIENCE = "taskbound-admin";
  private final HttpServer server;
  private final RSAKey key;
  public final String issuer;
  private final Map<String, Client> clients = new ConcurrentHashMap<>();
  private final Map<String, Grant> codes = new ConcurrentHashMap<>();
  private volatile String email = "olga@example.com";
  private volatile List<String> groups = List.of("sre");
  private volatile UnaryOperator<JWTClaimsSet.Builder> nextIdToken;
  private volatile boolean forgeNextIdToken;
  private volatile String nextCodeChallenge;

  private record Client(String redirectUri, String secret) {}

  private record Grant(String clientId, String redirectUri, String challenge, String nonce, String email, List<String> groups, Instant expires) {}

  public StandInIdp() throws Exception {
    key = new RSAKeyGenerator(2048).keyID("idp-1").keyUse(KeyUse.SIGNATURE).generate();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    issuer = "http://127.0.0.1:" + server.getAddress().getPort();
    ObjectNode discovery = ApiJson.mapper().createObjectNode();
    discovery.put("issuer", issuer);
    discovery.put("jwks_uri", issuer + "/jwks");
    discovery.put("authorization_endpoint", issuer + "/authorize");
    discovery.put("token_endpoint", issuer + "/token");
    discovery.putArray("response_types_supported").add("code");
    discovery.putArray("grant_types_supported").add("authorization_code");
    discovery.putArray("code_challenge_methods_supported").add("S256");
    discovery.putArray("subject_types_supported").add("public");
    discovery.putArray("id_token_signing_alg_values_supported").add("RS256");
    discovery.putArray("token_endpoint_auth_methods_supported").add("client_secret_basic").add("none");
    serve("/.well-known/openid-configuration", discovery.toString());
    serve("/jwks", new JWKSet(key.toPublicJWK()).toString());
    server.createContext("/authorize", this::authorize);
    server.createContext("/token", this::token);
    server.start();
  }

  /**
   * The start of a dev issuer's config (loopback, data in {@code dataDir}) whose admin API trusts this IdP: subjects
   * are the {@code email} claim, {@code roles} maps claim values to roles, and {@code oidcLines} (e.g.
   * {@code "roles_claim: groups"}) go under {@code admin.oidc}. Top-level keys may follow.
   */
  public String devIssuerConfig(java.nio.file.Path dataDir, String roles, String... oidcLines) {
    StringBuilder yaml = new StringBuilder()
        .append("dev: true\nlisten: 127.0.0.1:0\ndata_dir: ").append(dataDir).append('\n')
        .append("admin:\n  oidc:\n    issuer: ").append(issuer).append('\n')
        .append("    audience: ").append(AUDIENCE).append('\n')
        .append("    subject_claim: email\n")
        .append("    roles: ").append(roles).append('\n');
    for (String line : oidcLines) {
      yaml.append("    ").append(line).append('\n');
    }
    return yaml.toString();
  }

  /** Registers a client: its one redirect URI, and a secret for a confidential client (null: public, PKCE only). */
  public void registerClient(String clientId, String redirectUri, String secret) {
    clients.put(clientId, new Client(redirectUri, secret));
  }

  /** Whom the next authorizations sign in. */
  public void signInAs(String email, List<String> groups) {
    this.email = email;
    this.groups = List.copyOf(groups);
  }

  /** Changes the claims of the next ID token (e.g. another nonce or audience). */
  public void nextIdToken(UnaryOperator<JWTClaimsSet.Builder> change) {
    nextIdToken = change;
  }

  /** Signs the next ID token with another key under the published kid: a forgery. */
  public void forgeNextIdToken() {
    forgeNextIdToken = true;
  }

  /**
   * Binds the next code to this challenge instead of the request's: the code a victim's page receives was issued to
   * an attacker's sign-in (code injection), so the victim's verifier does not match it.
   */
  public void bindNextCodeTo(String challenge) {
    nextCodeChallenge = challenge;
  }

  private void authorize(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> q = decode(exchange.getRequestURI().getRawQuery());
      Client client = clients.get(q.getOrDefault("client_id", ""));
      // An unknown client or redirect URI is never redirected to (RFC 6749 §4.1.2.1): the user sees an error page.
      if (client == null || !client.redirectUri().equals(q.get("redirect_uri"))) {
        send(exchange, 400, "text/plain", "unknown client or redirect_uri");
        return;
      }
      String error =
          !"code".equals(q.get("response_type")) ? "unsupported_response_type"
              : !"S256".equals(q.get("code_challenge_method")) || q.get("code_challenge") == null ? "invalid_request"
              : !List.of(q.getOrDefault("scope", "").split(" ")).contains("openid") ? "invalid_scope"
              : null;
      String state = q.get("state");
      String location;
      if (error != null) {
        location = client.redirectUri() + "?error=" + error + (state == null ? "" : "&state=" + enc(state));
      } else {
        String code = UUID.randomUUID().toString();
        String challenge = nextCodeChallenge != null ? nextCodeChallenge : q.get("code_challenge");
        nextCodeChallenge = null;
        codes.put(code, new Grant(q.get("client_id"), client.redirectUri(), challenge, q.get("nonce"), email, groups, Instant.now().plusSeconds(60)));
        location = client.redirectUri() + "?code=" + enc(code) + (state == null ? "" : "&state=" + enc(state));
      }
      exchange.getResponseHeaders().add("Location", location);
      exchange.sendResponseHeaders(302, -1);
    }
  }

  private void token(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        send(exchange, 405, "text/plain", "POST only");
        return;
      }
      Map<String, String> form = decode(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      String clientId = form.get("client_id");
      String basic = exchange.getRequestHeaders().getFirst("Authorization");
      String secret = null;
      if (basic != null && basic.startsWith("Basic ")) {
        String[] pair = new String(Base64.getDecoder().decode(basic.substring(6)), StandardCharsets.UTF_8).split(":", 2);
        clientId = URLDecoder.decode(pair[0], StandardCharsets.UTF_8);
        secret = URLDecoder.decode(pair[1], StandardCharsets.UTF_8);
      }
      Client client = clientId == null ? null : clients.get(clientId);
      if (client == null || (client.secret() != null && !client.secret().equals(secret))) {
        oauthError(exchange, 401, "invalid_client");
        return;
      }
      if (!"authorization_code".equals(form.get("grant_type"))) {
        oauthError(exchange, 400, "unsupported_grant_type");
        return;
      }
      Grant grant = codes.remove(form.getOrDefault("code", ""));
      String verifier = form.get("code_verifier");
      if (grant == null
          || grant.expires().isBefore(Instant.now())
          || !grant.clientId().equals(clientId)
          || !grant.redirectUri().equals(form.get("redirect_uri"))
          || verifier == null
          || !s256(verifier).equals(grant.challenge())) {
        oauthError(exchange, 400, "invalid_grant");
        return;
      }
      JWTClaimsSet.Builder claims =
          new JWTClaimsSet.Builder()
              .issuer(issuer)
              .subject("user-" + grant.email().hashCode())
              .audience(clientId)
              .issueTime(new Date())
              .expirationTime(Date.from(Instant.now().plus(Duration.ofMinutes(10))))
              .claim("auth_time", Instant.now().getEpochSecond())
              .claim("email", grant.email())
              .claim("groups", grant.groups());
      if (grant.nonce() != null) {
        claims.claim("nonce", grant.nonce());
      }
      UnaryOperator<JWTClaimsSet.Builder> change = nextIdToken;
      nextIdToken = null;
      if (change != null) {
        claims = change.apply(claims);
      }
      boolean forge = forgeNextIdToken;
      forgeNextIdToken = false;
      String idToken;
      try {
        idToken = sign(forge ? new RSAKeyGenerator(2048).keyID("idp-1").generate() : key, claims, JOSEObjectType.JWT);
      } catch (Exception e) {
        throw new IOException(e);
      }
      ObjectNode answer = ApiJson.mapper().createObjectNode();
      answer.put("access_token", UUID.randomUUID().toString());
      answer.put("token_type", "Bearer");
      answer.put("expires_in", 600);
      answer.put("id_token", idToken);
      exchange.getResponseHeaders().add("Cache-Control", "no-store");
      send(exchange, 200, "application/json", answer.toString());
    }
  }

  private static void oauthError(HttpExchange exchange, int status, String error) throws IOException {
    send(exchange, status, "application/json", "{\"error\":\"" + error + "\",\"error_description\":\"refused by the stand-in IdP\"}");
  }

  private void serve(String path, String json) {
    server.createContext(path, exchange -> {
      try (exchange) {
        send(exchange, 200, "application/json", json);
      }
    });
  }

  private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static Map<String, String> decode(String encoded) {
    Map<String, String> out = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return out;
    }
    for (String pair : encoded.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(k, v);
    }
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  public static String s256(String verifier) {
    try {
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** An access token for {@code email} in {@code groups}, valid now for 10 minutes. */
  public String token(String email, List<String> groups) throws Exception {
    return sign(key, claims(email, groups, AUDIENCE, issuer, Instant.now(), Duration.ofMinutes(10)), new JOSEObjectType("at+jwt"));
  }

  JWTClaimsSet.Builder claims(String email, List<String> groups, String audience, String iss, Instant iat, Duration lifetime) {
    return new JWTClaimsSet.Builder()
        .issuer(iss)
        .subject("user-" + email.hashCode())
        .audience(audience)
        .issueTime(Date.from(iat))
        .expirationTime(Date.from(iat.plus(lifetime)))
        .jwtID(UUID.randomUUID().toString())
        .claim("email", email)
        .claim("groups", groups);
  }

  String sign(JWTClaimsSet.Builder claims) throws Exception {
    return sign(key, claims, new JOSEObjectType("at+jwt"));
  }

  /** Signed with another key under the published key's kid: a forgery. */
  String forge(JWTClaimsSet.Builder claims) throws Exception {
    return sign(new RSAKeyGenerator(2048).keyID("idp-1").generate(), claims, new JOSEObjectType("at+jwt"));
  }

  private static String sign(RSAKey with, JWTClaimsSet.Builder claims, JOSEObjectType type) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(with.getKeyID()).type(type).build(), claims.build());
    jwt.sign(new RSASSASigner(with));
    return jwt.serialize();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
