package dev.taskbound.issuer.attest;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.issuer.store.AttestationUse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies an attestation JWT in one call: size, structure, algorithm (against the allow-list only), {@code typ},
 * signature with the publisher's key for {@code kid}, {@code iss}, {@code aud}, {@code exp}/{@code nbf}/{@code iat}
 * with a small skew, lifetime. Single use of {@code jti} is not spent here: the result carries it, and the task
 * lifecycle spends it in the transaction that begins the task, so a token refused for any reason (here, by the
 * attestor's own checks, or by policy) does not burn its jti.
 *
 * <p>Error messages name the failed check and configured values, never the token or anything read from it: a
 * refusal may be logged or returned to the caller.
 */
public final class JwtVerifier {
  private static final int MIN_RSA_BITS = 2048;

  private final JwtRules rules;
  private final JwksSource keys;
  private final Clock clock;

  public JwtVerifier(JwtRules rules, JwksSource keys, Clock clock) {
    this.rules = Objects.requireNonNull(rules, "rules");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public JwtRules rules() {
    return rules;
  }

  public VerifiedJwt verify(String token) {
    SignedJWT jwt = parseSigned(token, rules.maxTokenChars());
    JWSHeader header = jwt.getHeader();
    JWSAlgorithm alg = header.getAlgorithm();
    if (!rules.algorithms().contains(alg)) {
      throw new AttestationException(
          "signature algorithm " + alg + " is not allowed (allowed: " + rules.algorithms() + ")");
    }
    if (rules.requiredType() != null && !rules.requiredType().equals(header.getType())) {
      throw new AttestationException("token type (typ) must be " + rules.requiredType());
    }
    String kid = header.getKeyID();
    if (kid == null || kid.isBlank()) {
      throw new AttestationException("token header has no kid");
    }
    JWK key =
        keys.keyFor(kid)
            .orElseThrow(
                () -> new AttestationException("no signing key with the token's kid is published by " + rules.issuer()));
    if (!verifySignature(jwt, alg, key)) {
      throw new AttestationException("signature does not verify");
    }
    JWTClaimsSet claims = claimsOf(jwt);
    checkClaims(claims);
    String jti = claims.getJWTID();
    // A digest cannot collide with a jti: jtis are spent as issued, digests under their own prefix.
    String spent = rules.singleUseByTokenDigest() ? "sha256:" + sha256Hex(token) : jti;
    AttestationUse.Jti use =
        new AttestationUse.Jti(rules.issuer(), spent, claims.getExpirationTime().toInstant().plus(rules.clockSkew()));
    return new VerifiedJwt(claims.getIssuer(), claims.getSubject(), jti, jsonClaims(claims), sha256Hex(token), use);
  }

  /**
   * Size check, then parse; refuses unsigned and encrypted JWTs. Used before verification by attestors that must
   * read {@code iss} to find the keys; nothing read here is trusted.
   */
  static SignedJWT parseSigned(String token, int maxChars) {
    if (token == null || token.isBlank()) {
      throw new AttestationException("attestation token is missing");
    }
    if (token.length() > maxChars) {
      throw new AttestationException("attestation token is larger than " + maxChars + " bytes");
    }
    JWT parsed;
    try {
      parsed = JWTParser.parse(token);
    } catch (ParseException | RuntimeException e) {
      // The parser's message may quote the token, so it is not passed on.
      throw new AttestationException("attestation token is not a well-formed JWT");
    }
    if (parsed instanceof PlainJWT) {
      throw new AttestationException("unsigned token (alg none) is refused");
    }
    if (!(parsed instanceof SignedJWT signed)) {
      throw new AttestationException("attestation token must be a signed JWT (JWS), not encrypted");
    }
    return signed;
  }

  /** Unverified claims, for finding the keys; the caller must still verify. */
  static JWTClaimsSet unverifiedClaims(SignedJWT jwt) {
    return claimsOf(jwt);
  }

  private static JWTClaimsSet claimsOf(SignedJWT jwt) {
    try {
      return jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new AttestationException("token payload is not a JSON claims set");
    }
  }

  private static boolean verifySignature(SignedJWT jwt, JWSAlgorithm alg, JWK key) {
    if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
      throw new AttestationException("the key for the token's kid is not a signing key");
    }
    if (key.getAlgorithm() != null && !key.getAlgorithm().equals(alg)) {
      throw new AttestationException("the key for the token's kid is published for another algorithm");
    }
    try {
      JWSVerifier verifier = verifierFor(alg, key);
      return jwt.verify(verifier);
    } catch (AttestationException e) {
      throw e;
    } catch (JOSEException | RuntimeException e) {
      // Providers throw on keys or signature encodings they reject: that is a signature that does not verify.
      return false;
    }
  }

  // The verifier is chosen from the key type bound to the allowed algorithm, never from the header alone.
  private static JWSVerifier verifierFor(JWSAlgorithm alg, JWK key) throws JOSEException {
    if (JWSAlgorithm.Family.RSA.contains(alg)) {
      if (!(key instanceof RSAKey rsa)) {
        throw new AttestationException("the key for the token's kid is not an RSA key");
      }
      if (rsa.size() < MIN_RSA_BITS) {
        throw new AttestationException("the key for the token's kid is shorter than " + MIN_RSA_BITS + " bits");
      }
      return new RSASSAVerifier(rsa.toRSAPublicKey());
    }
    if (JWSAlgorithm.Family.EC.contains(alg)) {
      if (!(key instanceof ECKey ec) || !curveFor(alg).equals(ec.getCurve())) {
        throw new AttestationException("the key for the token's kid is not an EC key on the curve of " + alg);
      }
      return new ECDSAVerifier(ec.toECPublicKey());
    }
    throw new AttestationException("signature algorithm " + alg + " is not allowed");
  }

  private static Curve curveFor(JWSAlgorithm alg) {
    if (JWSAlgorithm.ES256.equals(alg)) {
      return Curve.P_256;
    }
    if (JWSAlgorithm.ES384.equals(alg)) {
      return Curve.P_384;
    }
    return Curve.P_521;
  }

  private void checkClaims(JWTClaimsSet claims) {
    if (!rules.issuer().equals(claims.getIssuer())) {
      throw new AttestationException("issuer (iss) is not " + rules.issuer());
    }
    List<String> audience = claims.getAudience();
    if (audience == null || !audience.contains(rules.audience())) {
      throw new AttestationException("audience (aud) does not include " + rules.audience());
    }
    Instant now = clock.instant();
    Instant exp = instant(claims.getExpirationTime(), "exp");
    Instant iat = instant(claims.getIssueTime(), "iat");
    if (!now.isBefore(exp.plus(rules.clockSkew()))) {
      throw new AttestationException("token has expired (exp)");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && now.plus(rules.clockSkew()).isBefore(nbf.toInstant())) {
      throw new AttestationException("token is not yet valid (nbf)");
    }
    if (now.plus(rules.clockSkew()).isBefore(iat)) {
      throw new AttestationException("token is issued in the future (iat)");
    }
    if (!exp.isAfter(iat)) {
      throw new AttestationException("token expires before it is issued (exp <= iat)");
    }
    if (rules.maxLifetime() != null && exp.isAfter(iat.plus(rules.maxLifetime()))) {
      throw new AttestationException("token lifetime (exp - iat) exceeds " + rules.maxLifetime().toSeconds() + " s");
    }
    String jti = claims.getJWTID();
    if (!rules.singleUseByTokenDigest() && (jti == null || jti.isBlank())) {
      throw new AttestationException("token has no jti, so single use cannot be enforced"
          + " (for a CI whose tokens carry none, set single_use: token on its attestor)");
    }
  }

  private static Instant instant(Date date, String claim) {
    if (date == null) {
      throw new AttestationException("token has no " + claim);
    }
    return date.toInstant();
  }

  /** JSON-shaped claims (times as epoch seconds), without nulls so they fit an immutable map. */
  private static Map<String, Object> jsonClaims(JWTClaimsSet claims) {
    Map<String, Object> json = new HashMap<>();
    claims.toJSONObject().forEach((name, value) -> {
      if (value != null) {
        json.put(name, value);
      }
    });
    return json;
  }

  static String sha256Hex(String token) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
