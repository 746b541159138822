package dev.taskbound.issuer.admin;

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
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * An OIDC identity provider as the admin API sees one, protocol-exact: a discovery document and a JWKS over real
 * HTTP on loopback, RS256 access tokens signed with the published key.
 */
final class StandInIdp implements AutoCloseable {
  static final String AUDIENCE = "taskbound-admin";
  private final HttpServer server;
  private final RSAKey key;
  final String issuer;

  StandInIdp() throws Exception {
    key = new RSAKeyGenerator(2048).keyID("idp-1").keyUse(KeyUse.SIGNATURE).generate();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    issuer = "http://127.0.0.1:" + server.getAddress().getPort();
    serve("/.well-known/openid-configuration", "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + "/jwks\"}");
    serve("/jwks", new JWKSet(key.toPublicJWK()).toString());
    server.start();
  }

  private void serve(String path, String json) {
    server.createContext(path, exchange -> {
      try (exchange) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** An access token for {@code email} in {@code groups}, valid now for 10 minutes. */
  String token(String email, List<String> groups) throws Exception {
    return sign(key, claims(email, groups, AUDIENCE, issuer, Instant.now(), Duration.ofMinutes(10)));
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
    return sign(key, claims);
  }

  /** Signed with another key under the published key's kid: a forgery. */
  String forge(JWTClaimsSet.Builder claims) throws Exception {
    return sign(new RSAKeyGenerator(2048).keyID("idp-1").generate(), claims);
  }

  private static String sign(RSAKey with, JWTClaimsSet.Builder claims) throws Exception {
    SignedJWT jwt =
        new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(with.getKeyID()).type(new JOSEObjectType("at+jwt")).build(), claims.build());
    jwt.sign(new RSASSASigner(with));
    return jwt.serialize();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
