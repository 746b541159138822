package dev.taskbound.issuer.attest;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * What one kind of attestation JWT must satisfy. The algorithm allow-list is the only source of truth for the
 * signature algorithm: the token's {@code alg} header is merely checked against it.
 *
 * @param issuer the exact {@code iss}
 * @param audience the {@code aud} that must be present
 * @param algorithms allowed asymmetric signature algorithms (never {@code none} or HS*)
 * @param requiredType the {@code typ} header that must be present, or null when any (or none) is accepted
 * @param maxLifetime the longest {@code exp - iat} accepted, or null for no limit
 * @param clockSkew tolerance for {@code exp}, {@code nbf} and {@code iat}
 * @param maxTokenChars tokens longer than this are refused before parsing
 */
public record JwtRules(
    String issuer,
    String audience,
    Set<JWSAlgorithm> algorithms,
    JOSEObjectType requiredType,
    Duration maxLifetime,
    Duration clockSkew,
    int maxTokenChars,
    boolean singleUseByTokenDigest) {

  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_TOKEN_CHARS = 16 * 1024;

  /** Algorithms a configuration may name; symmetric ones are absent on purpose (the key would be public). */
  private static final Set<JWSAlgorithm> ASYMMETRIC =
      Set.of(
          JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
          JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
          JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);

  public JwtRules {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(audience, "audience");
    Objects.requireNonNull(clockSkew, "clockSkew");
    if (issuer.isBlank() || audience.isBlank()) {
      throw new IllegalArgumentException("issuer and audience must not be blank");
    }
    algorithms = Set.copyOf(algorithms);
    if (algorithms.isEmpty()) {
      throw new IllegalArgumentException("at least one signature algorithm must be allowed");
    }
    for (JWSAlgorithm alg : algorithms) {
      if (!ASYMMETRIC.contains(alg)) {
        throw new IllegalArgumentException("signature algorithm " + alg + " is not allowed for attestations");
      }
    }
    if (maxTokenChars <= 0) {
      throw new IllegalArgumentException("maxTokenChars must be positive");
    }
  }

  /** Rules with the default skew and size limit, any {@code typ}, no lifetime limit. */
  public static JwtRules of(String issuer, String audience, Set<JWSAlgorithm> algorithms) {
    return new JwtRules(issuer, audience, algorithms, null, null, DEFAULT_CLOCK_SKEW, DEFAULT_MAX_TOKEN_CHARS, false);
  }

  public JwtRules withRequiredType(JOSEObjectType type) {
    return new JwtRules(issuer, audience, algorithms, type, maxLifetime, clockSkew, maxTokenChars, singleUseByTokenDigest);
  }

  public JwtRules withMaxLifetime(Duration lifetime) {
    return new JwtRules(issuer, audience, algorithms, requiredType, lifetime, clockSkew, maxTokenChars, singleUseByTokenDigest);
  }

  public JwtRules withClockSkew(Duration skew) {
    return new JwtRules(issuer, audience, algorithms, requiredType, maxLifetime, skew, maxTokenChars, singleUseByTokenDigest);
  }

  public JwtRules withMaxTokenChars(int chars) {
    return new JwtRules(issuer, audience, algorithms, requiredType, maxLifetime, clockSkew, chars, singleUseByTokenDigest);
  }

  /**
   * Single use by the token's SHA-256 instead of its {@code jti}, for token services that issue none (CircleCI,
   * Buildkite): each token is accepted once, as with a {@code jti}.
   */
  public JwtRules withSingleUseByTokenDigest() {
    return new JwtRules(issuer, audience, algorithms, requiredType, maxLifetime, clockSkew, maxTokenChars, true);
  }

  /**
   * Parses configured algorithm names ({@code RS256}, {@code ES256} …), refusing {@code none}, HS* and anything
   * unknown with an {@link IllegalArgumentException} naming the offender.
   */
  public static Set<JWSAlgorithm> parseAlgorithms(Collection<String> names) {
    if (names == null || names.isEmpty()) {
      throw new IllegalArgumentException("at least one signature algorithm must be configured");
    }
    Set<JWSAlgorithm> parsed = new LinkedHashSet<>();
    for (String name : names) {
      JWSAlgorithm alg = JWSAlgorithm.parse(name);
      if (!ASYMMETRIC.contains(alg)) {
        throw new IllegalArgumentException(
            "signature algorithm '" + name + "' is not allowed (use RS*, PS* or ES*; none and HS* never)");
      }
      parsed.add(alg);
    }
    return parsed;
  }
}
