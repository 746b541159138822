package dev.taskbound.issuer.exchange;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.issuer.ca.DownstreamSigningKeys;
import dev.taskbound.issuer.ca.JwtAuthority;
import dev.taskbound.issuer.ca.JwtSvidMinter;
import dev.taskbound.issuer.ca.KeyAlgorithm;
import dev.taskbound.issuer.config.IssuerConfig;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.Map;

/**
 * Signs downstream tokens: {@code iss} (issuer URL), {@code sub} (SPIFFE ID), one {@code aud}, {@code iat},
 * {@code exp} (at most the configured lifetime, never past {@code notAfter}), {@code jti}, the task facts under
 * {@link JwtSvidMinter#TASK_CLAIM}, {@code act} when delegated and {@code cnf} when bound to a certificate. The
 * algorithm is the audience's configured one (Azure accepts RSA only), the key is that algorithm's active key.
 */
final class DownstreamTokenMinter {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DownstreamSigningKeys keys;
  private final IssuerConfig.Exchange config;
  private final String issuerUrl;
  private final Clock clock;

  DownstreamTokenMinter(DownstreamSigningKeys keys, IssuerConfig.Exchange config, String issuerUrl, Clock clock) {
    this.keys = keys;
    this.config = config;
    this.issuerUrl = issuerUrl;
    this.clock = clock;
  }

  /**
   * @param actor the {@code act} claim (RFC 8693 §4.1) when an actor token was presented, else null
   * @param x5tS256 the certificate thumbprint for {@code cnf} (RFC 8705 §3.1), else null
   */
  DownstreamToken mint(
      String spiffeId, String audience, Instant notAfter, Map<String, Object> taskFacts, Map<String, Object> actor,
      String x5tS256) {
    Instant issuedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant cap = issuedAt.plus(config.ttl());
    Instant expiresAt = (notAfter.isBefore(cap) ? notAfter : cap).truncatedTo(ChronoUnit.SECONDS);
    if (!expiresAt.isAfter(issuedAt)) {
      throw OAuthException.invalidGrant("the task's lifetime is over");
    }
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    String jti = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(issuerUrl)
            .subject(spiffeId)
            .audience(audience)
            .issueTime(Date.from(issuedAt))
            .expirationTime(Date.from(expiresAt))
            .jwtID(jti)
            .claim(JwtSvidMinter.TASK_CLAIM, Map.copyOf(taskFacts));
    if (actor != null) {
      claims.claim("act", actor);
    }
    if (x5tS256 != null) {
      claims.claim("cnf", Map.of("x5t#S256", x5tS256));
    }
    KeyAlgorithm algorithm = KeyAlgorithm.forJws(config.algorithmFor(audience));
    JwtAuthority signing = keys.active(algorithm);
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.parse(algorithm.jwsAlgorithm()))
                .keyID(signing.kid())
                .type(JOSEObjectType.JWT)
                .build(),
            claims.build());
    try {
      jwt.sign(signer(signing));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a downstream token with key " + signing.kid(), e);
    }
    return new DownstreamToken(jwt.serialize(), jti, audience, issuedAt, expiresAt);
  }

  private static JWSSigner signer(JwtAuthority authority) throws JOSEException {
    return switch (authority.key().algorithm()) {
      case EC_P256 -> new ECDSASigner(authority.key().privateKey(), Curve.P_256);
      case RSA_2048 -> new RSASSASigner(authority.key().privateKey());
    };
  }
}
