package dev.taskbound.issuer.ca;

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
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Mints JWT-SVIDs with Nimbus JOSE+JWT. The JWS algorithm comes from the key, never from a caller. Lifetimes are
 * capped at {@code maxLifetime} so a retired key need only stay in the bundle that long after its last use.
 */
public final class NimbusJwtSvidMinter implements JwtSvidMinter {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  private final Supplier<JwtAuthority> authority;
  private final Clock clock;
  private final String issuer;
  private final Duration maxLifetime;
  /** The signer of the current key (Nimbus signers are thread-safe), made again when the key rotates. */
  private volatile KeySigner signer;

  private record KeySigner(SigningKey key, JWSSigner signer) {}

  public NimbusJwtSvidMinter(
      Supplier<JwtAuthority> authority, Clock clock, String issuerUrl, Duration maxLifetime) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.issuer = BcX509SvidMinter.stripSlash(Objects.requireNonNull(issuerUrl, "issuerUrl"));
    this.maxLifetime = Objects.requireNonNull(maxLifetime, "maxLifetime");
  }

  @Override
  public JwtSvidIssued mint(SpiffeId id, String audience, Instant notAfter, Map<String, Object> taskFacts) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(notAfter, "notAfter");
    if (audience == null || audience.isBlank()) {
      throw new IllegalArgumentException("a JWT-SVID needs exactly one non-empty audience");
    }
    JwtAuthority signing = authority.get();
    // JWT times are whole seconds; truncating first keeps JwtSvidIssued equal to what the token says.
    Instant issuedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant cap = issuedAt.plus(maxLifetime);
    Instant expiresAt = (notAfter.isAfter(cap) ? cap : notAfter).truncatedTo(ChronoUnit.SECONDS);
    if (!expiresAt.isAfter(issuedAt)) {
      throw new IllegalArgumentException("notAfter must be at least a second in the future");
    }
    // Time-ordered, like a serial: the jti is the credential id the store indexes.
    String jti = BASE64URL.encodeToString(TimeOrderedId.next(clock.millis(), RANDOM));

    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(id.toString())
            .audience(audience)
            .issueTime(Date.from(issuedAt))
            .expirationTime(Date.from(expiresAt))
            .jwtID(jti);
    if (taskFacts != null && !taskFacts.isEmpty()) {
      claims.claim(TASK_CLAIM, Map.copyOf(taskFacts));
    }
    KeyAlgorithm algorithm = signing.key().algorithm();
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.parse(algorithm.jwsAlgorithm()))
            .keyID(signing.kid())
            .type(JOSEObjectType.JWT)
            .build();
    SignedJWT jwt = new SignedJWT(header, claims.build());
    try {
      jwt.sign(signer(signing.key()));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a JWT-SVID with key " + signing.kid(), e);
    }
    return new JwtSvidIssued(jwt.serialize(), jti, audience, issuedAt, expiresAt);
  }

  private JWSSigner signer(SigningKey key) throws JOSEException {
    KeySigner current = signer;
    if (current == null || current.key() != key) {
      JWSSigner made = switch (key.algorithm()) {
        case EC_P256 -> new ECDSASigner(key.privateKey(), Curve.P_256);
        case RSA_2048 -> new RSASSASigner(key.privateKey());
      };
      // Without one, Nimbus makes a new SecureRandom (a provider look-up) for every signature.
      made.getJCAContext().setSecureRandom(RANDOM);
      current = new KeySigner(key, made);
      signer = current;
    }
    return current.signer();
  }
}
