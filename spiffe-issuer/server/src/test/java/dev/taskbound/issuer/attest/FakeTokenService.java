package dev.taskbound.issuer.attest;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A stand-in for an OIDC token service such as GitHub's {@code token.actions.githubusercontent.com}: a real HTTP
 * server on loopback serving the discovery document and JWKS at the paths and in the shape GitHub does, and
 * RS256 tokens signed with real RSA keys carrying GitHub-shaped claims.
 */
final class FakeTokenService implements AutoCloseable {
  private final HttpServer server;
  private final String pathPrefix;
  private final Clock clock;
  private final List<RSAKey> publishedKeys = new ArrayList<>();
  private volatile RSAKey signingKey;
  final AtomicInteger discoveryRequests = new AtomicInteger();
  final AtomicInteger jwksRequests = new AtomicInteger();

  /** @param pathPrefix "" for public GitHub, "/acme" for a GHEC enterprise slug, "/_services/token" for GHES */
  FakeTokenService(String pathPrefix, Clock clock) throws IOException {
    this.pathPrefix = pathPrefix;
    this.clock = clock;
    this.signingKey = newKey();
    publishedKeys.add(signingKey);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  String issuer() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + pathPrefix;
  }

  RSAKey signingKey() {
    return signingKey;
  }

  /** Publishes a new key and signs with it from now on; the old key stays published, as GitHub does. */
  synchronized RSAKey rotate() {
    signingKey = newKey();
    publishedKeys.add(signingKey);
    return signingKey;
  }

  /** Signs with a key that is never published. */
  static RSAKey unpublishedKey() {
    return newKey();
  }

  private static RSAKey newKey() {
    try {
      return new RSAKeyGenerator(2048)
          .keyID(UUID.randomUUID().toString().replace("-", "").substring(0, 20))
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.RS256)
          .generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Claims shaped like a GitHub Actions OIDC token for a push to main of octo-org/octo-repo. */
  JWTClaimsSet.Builder githubClaims(String audience) {
    Instant iat = clock.instant();
    return new JWTClaimsSet.Builder()
        .jwtID(UUID.randomUUID().toString())
        .subject("repo:octo-org/octo-repo:environment:prod")
        .audience(audience)
        .claim("ref", "refs/heads/main")
        .claim("sha", "example-sha-0123456789abcdef01234567")
        .claim("repository", "octo-org/octo-repo")
        .claim("repository_owner", "octo-org")
        .claim("repository_owner_id", "65")
        .claim("run_id", "9876543210")
        .claim("run_number", "42")
        .claim("run_attempt", "2")
        .claim("repository_visibility", "private")
        .claim("repository_id", "74")
        .claim("actor_id", "12")
        .claim("actor", "octocat")
        .claim("workflow", "deploy")
        .claim("head_ref", "")
        .claim("base_ref", "")
        .claim("event_name", "push")
        .claim("ref_protected", "true")
        .claim("ref_type", "branch")
        .claim("environment", "prod")
        .claim("workflow_ref", "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main")
        .claim("workflow_sha", "example-sha-0123456789abcdef01234567")
        .claim("job_workflow_ref", "octo-org/ci/.github/workflows/build.yml@refs/tags/v1")
        .claim("job_workflow_sha", "example-sha-fedcba9876543210fedcba98")
        .claim("runner_environment", "github-hosted")
        .issuer(issuer())
        .notBeforeTime(Date.from(iat.minusSeconds(600)))
        .expirationTime(Date.from(iat.plusSeconds(300)))
        .issueTime(Date.from(iat));
  }

  String mint(String audience) {
    return mint(audience, b -> {});
  }

  String mint(String audience, Consumer<JWTClaimsSet.Builder> customise) {
    JWTClaimsSet.Builder builder = githubClaims(audience);
    customise.accept(builder);
    return sign(builder.build(), signingKey);
  }

  /** Signs as GitHub does: RS256, typ JWT, kid, and an x5t header (its value is not checked by anyone). */
  static String sign(JWTClaimsSet claims, RSAKey key) {
    return sign(claims, key, key.getKeyID());
  }

  /** Signs with {@code key} but names {@code kid} in the header. */
  static String sign(JWTClaimsSet claims, RSAKey key, String kid) {
    try {
      JWSHeader header =
          new JWSHeader.Builder(JWSAlgorithm.RS256)
              .type(JOSEObjectType.JWT)
              .keyID(kid)
              .x509CertThumbprint(Base64URL.encode(kid))
              .build();
      SignedJWT jwt = new SignedJWT(header, claims);
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    try (exchange) {
      if (path.equals(pathPrefix + "/.well-known/openid-configuration")) {
        discoveryRequests.incrementAndGet();
        respond(exchange, discoveryDocument());
      } else if (path.equals(pathPrefix + "/.well-known/jwks")) {
        jwksRequests.incrementAndGet();
        respond(exchange, jwks());
      } else {
        exchange.sendResponseHeaders(404, -1);
      }
    }
  }

  // Field for field what GitHub publishes (claims_supported abbreviated).
  private String discoveryDocument() {
    String issuer = issuer();
    return """
        {"issuer":"%s","jwks_uri":"%s/.well-known/jwks","subject_types_supported":["public","pairwise"],\
        "response_types_supported":["id_token"],"claims_supported":["sub","aud","exp","iat","iss","jti","nbf",\
        "ref","sha","repository","repository_id","repository_owner","run_id","run_number","run_attempt","actor",\
        "workflow","workflow_ref","job_workflow_ref","environment","event_name","ref_type","runner_environment"],\
        "id_token_signing_alg_values_supported":["RS256"],"scopes_supported":["openid"]}"""
        .formatted(issuer, issuer);
  }

  private synchronized String jwks() {
    List<JWK> keys = new ArrayList<>();
    for (RSAKey key : publishedKeys) {
      keys.add(key.toPublicJWK());
    }
    return new JWKSet(keys).toString(true);
  }

  private static void respond(HttpExchange exchange, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
