package dev.taskbound.cli.workload;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.text.ParseException;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Validates a JWT-SVID as the JWT-SVID spec asks: a known {@code kid}, an algorithm that belongs to that key's type
 * (never the header's word alone), a good signature, {@code exp} in the future, the audience present, and a
 * {@code sub} that is a SPIFFE ID of the bundle's trust domain.
 */
final class JwtSvidVerifier {
  private static final Set<JWSAlgorithm> EC_ALGS = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);
  private static final Set<JWSAlgorithm> RSA_ALGS =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);

  /** Why a token was refused, in words safe to send back (never the token). */
  static final class InvalidJwtSvid extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidJwtSvid(String message) {
      super(message);
    }
  }

  private JwtSvidVerifier() {}

  static SignedJWT verify(String token, String audience, JWKSet keys, String trustDomainId, Instant now) throws InvalidJwtSvid {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new InvalidJwtSvid("not a signed JWT");
    }
    JWSHeader header = jwt.getHeader();
    JOSEObjectType typ = header.getType();
    if (typ != null && !typ.equals(JOSEObjectType.JWT) && !typ.equals(JOSEObjectType.JOSE)) {
      throw new InvalidJwtSvid("typ must be JWT or JOSE, not " + typ);
    }
    String kid = header.getKeyID();
    if (kid == null) {
      throw new InvalidJwtSvid("no kid in the header");
    }
    JWK key = keys.getKeyByKeyId(kid);
    if (key == null) {
      throw new InvalidJwtSvid("no JWT authority with kid " + kid + " in the bundle of " + trustDomainId);
    }
    if (!verifierFor(key, header.getAlgorithm(), jwt)) {
      throw new InvalidJwtSvid("signature does not verify");
    }
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new InvalidJwtSvid("no exp claim");
    }
    if (!now.isBefore(exp.toInstant())) {
      throw new InvalidJwtSvid("token expired at " + exp.toInstant());
    }
    List<String> aud = claims.getAudience();
    if (aud == null || !aud.contains(audience)) {
      throw new InvalidJwtSvid("audience " + audience + " is not in the token's aud");
    }
    String sub = claims.getSubject();
    if (sub == null || !sub.startsWith("spiffe://")) {
      throw new InvalidJwtSvid("sub is not a SPIFFE ID");
    }
    if (!trustDomainId.equals("spiffe://" + URI.create(sub).getHost())) {
      throw new InvalidJwtSvid("sub is not in trust domain " + trustDomainId);
    }
    return jwt;
  }

  private static boolean verifierFor(JWK key, JWSAlgorithm alg, SignedJWT jwt) throws InvalidJwtSvid {
    try {
      JWSVerifier verifier;
      if (key instanceof ECKey ec && EC_ALGS.contains(alg)) {
        verifier = new ECDSAVerifier(ec);
      } else if (key instanceof RSAKey rsa && RSA_ALGS.contains(alg)) {
        verifier = new RSASSAVerifier(rsa);
      } else {
        throw new InvalidJwtSvid("algorithm " + alg + " does not match the " + key.getKeyType() + " key " + key.getKeyID());
      }
      return jwt.verify(verifier);
    } catch (JOSEException e) {
      throw new InvalidJwtSvid("signature does not verify: " + e.getMessage());
    }
  }
}
