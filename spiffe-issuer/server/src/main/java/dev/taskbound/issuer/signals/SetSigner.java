package dev.taskbound.issuer.signals;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.issuer.ca.KeyAlgorithm;
import dev.taskbound.issuer.ca.KeyManager;
import dev.taskbound.issuer.ca.SigningKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;

/**
 * Signs Security Event Tokens with the transmitter's own ES256 key, kept by the {@link KeyManager} under
 * {@value #KEY_ID}. A dedicated key because a SET is neither a JWT-SVID (whose keys speak for workloads) nor a
 * downstream token; receivers find it at the {@code jwks_uri} of the SSF configuration.
 */
public final class SetSigner {
  static final String KEY_ID = "ssf-set-signing";
  static final JOSEObjectType SECEVENT_JWT = new JOSEObjectType("secevent+jwt");

  private final ECDSASigner signer;
  private final ECKey publicJwk;

  private SetSigner(ECDSASigner signer, ECKey publicJwk) {
    this.signer = signer;
    this.publicJwk = publicJwk;
  }

  /** Loads the transmitter key, generating and persisting it on first use. */
  public static SetSigner open(KeyManager keys) {
    SigningKey key = keys.load(KEY_ID).orElseGet(() -> keys.generate(KEY_ID, KeyAlgorithm.EC_P256));
    if (key.algorithm() != KeyAlgorithm.EC_P256
        || !(key.publicKey() instanceof ECPublicKey pub)
        || !(key.privateKey() instanceof ECPrivateKey priv)) {
      throw new IllegalStateException("key " + KEY_ID + " must be an EC P-256 key");
    }
    try {
      ECKey jwk = new ECKey.Builder(Curve.P_256, pub).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).build();
      jwk = new ECKey.Builder(jwk).keyID(jwk.computeThumbprint().toString()).build();
      return new SetSigner(new ECDSASigner(priv), jwk);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot use key " + KEY_ID, e);
    }
  }

  /** A compact JWS with {@code typ: secevent+jwt} (RFC 8417 §2.3) and the key's {@code kid}. */
  public String sign(JWTClaimsSet claims) {
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.ES256).type(SECEVENT_JWT).keyID(publicJwk.getKeyID()).build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a security event token", e);
    }
    return jwt.serialize();
  }

  /** The public key set for the SSF {@code jwks_uri}. */
  public String jwksJson() {
    return new JWKSet(publicJwk).toString(true);
  }
}
