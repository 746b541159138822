package dev.taskbound.testing;

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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A CI system's OIDC token issuer on loopback, protocol-exact: a real HTTP server serving
 * {@code <prefix>/.well-known/openid-configuration} and the JWKS at the path the real issuer uses (GitHub
 * {@code /.well-known/jwks}, GitLab {@code /oauth/discovery/keys}, CircleCI {@code /.well-known/jwks-pub.json}), and
 * RS256 tokens signed with real 2048-bit RSA keys. The claims are the caller's: each CI's stand-in builds its own set.
 */
public final class OidcIssuerStandIn implements AutoCloseable {
  private final HttpServer server;
  private final String pathPrefix;
  private final String jwksPath;
  private final List<String> claimsSupported;
  private final List<RSAKey> publishedKeys = new ArrayList<>();
  private volatile RSAKey signingKey;
  public final AtomicInteger discoveryRequests = new AtomicInteger();
  public final AtomicInteger jwksRequests = new AtomicInteger();

  /**
   * @param pathPrefix appended to {@code http://127.0.0.1:<port>} to make the issuer ("" for none)
   * @param jwksPath the JWKS path below the prefix, e.g. {@code /oauth/discovery/keys}
   * @param claimsSupported what the discovery document lists as {@code claims_supported}
   */
  public OidcIssuerStandIn(String pathPrefix, String jwksPath, List<String> claimsSupported) throws IOException {
    this.pathPrefix = pathPrefix;
    this.jwksPath = jwksPath;
    this.claimsSupported = List.copyOf(claimsSupported);
    this.signingKey = newKey();
    publishedKeys.add(signingKey);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The {@code iss} of its tokens. */
  public String issuer() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + pathPrefix;
  }

  public RSAKey signingKey() {
    return signingKey;
  }

  /** Publishes a new key and signs with it from now on; the old key stays published, as real issuers do. */
  public synchronized RSAKey rotate() {
    signingKey = newKey();
    publishedKeys.add(signingKey);
    return signingKey;
  }

  /** A key of the right shape that is never published. */
  public static RSAKey newKey() {
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

  /** Signs {@code claims} with the current key. */
  public String sign(JWTClaimsSet claims) {
    return sign(claims, signingKey, signingKey.getKeyID());
  }

  /** Signs as the CI issuers do: RS256, {@code typ: JWT}, {@code kid}, and an {@code x5t} header nobody checks. */
  public static String sign(JWTClaimsSet claims, RSAKey key, String kid) {
    try {
      JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256)
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
      } else if (path.equals(pathPrefix + jwksPath)) {
        jwksRequests.incrementAndGet();
        respond(exchange, jwks());
      } else {
        exchange.sendResponseHeaders(404, -1);
      }
    }
  }

  private String discoveryDocument() {
    String issuer = issuer();
    return """
        {"issuer":"%s","jwks_uri":"%s%s","subject_types_supported":["public","pairwise"],\
        "response_types_supported":["id_token"],"claims_supported":[%s],\
        "id_token_signing_alg_values_supported":["RS256"],"scopes_supported":["openid"]}"""
        .formatted(issuer, issuer, jwksPath, String.join(",", claimsSupported.stream().map(c -> "\"" + c + "\"").toList()));
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
