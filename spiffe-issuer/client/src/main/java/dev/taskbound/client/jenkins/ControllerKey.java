package dev.taskbound.client.jenkins;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Jenkins controller's run-statement signing key: EC P-256, signing ES256 only, its {@code kid} the RFC 7638
 * thumbprint of the public key (so the same key always has the same {@code kid}, wherever it is loaded). The
 * private half leaves this object only through {@link #privateKeyPem()}, for the plugin to store encrypted;
 * {@link #toString()} never shows it.
 */
public final class ControllerKey {
  private static final Pattern PKCS8_PEM =
      Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

  private final ECPublicKey publicKey;
  private final ECPrivateKey privateKey;
  private final ECKey publicJwk;

  private ControllerKey(ECPublicKey publicKey, ECPrivateKey privateKey) {
    this.publicKey = publicKey;
    this.privateKey = privateKey;
    ECKey bare = new ECKey.Builder(Curve.P_256, publicKey).build();
    try {
      this.publicJwk =
          new ECKey.Builder(bare)
              .keyID(bare.computeThumbprint().toString())
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(JWSAlgorithm.ES256)
              .build();
    } catch (JOSEException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  /** A fresh key; the plugin generates one the first time it needs to sign. */
  public static ControllerKey generate() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = gen.generateKeyPair();
      return new ControllerKey((ECPublicKey) pair.getPublic(), (ECPrivateKey) pair.getPrivate());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JVM", e);
    }
  }

  /**
   * Loads a P-256 private key from unencrypted PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}, what
   * {@code openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256} writes). The public key is derived from
   * it. Errors never echo the input.
   */
  public static ControllerKey fromPem(String pem) {
    if (pem == null) {
      throw new IllegalArgumentException("no controller key PEM");
    }
    Matcher m = PKCS8_PEM.matcher(pem);
    if (!m.find()) {
      throw new IllegalArgumentException(
          "the controller key must be an unencrypted PKCS#8 PEM block (BEGIN PRIVATE KEY); convert a SEC1 key with "
              + "'openssl pkcs8 -topk8 -nocrypt'");
    }
    ECPrivateKey priv;
    try {
      byte[] der = Base64.getMimeDecoder().decode(m.group(1).getBytes(StandardCharsets.US_ASCII));
      priv = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
      throw new IllegalArgumentException("the controller key PEM is not an EC private key");
    }
    if (!Curve.P_256.equals(Curve.forECParameterSpec(priv.getParams()))) {
      throw new IllegalArgumentException("the controller key must be on curve P-256 (ES256)");
    }
    ECPublicKey pub = derivePublic(priv);
    ControllerKey key = new ControllerKey(pub, priv);
    key.checkPair();
    return key;
  }

  /** The RFC 7638 thumbprint of the public key: the {@code kid} of every statement and of the JWKS entry. */
  public String keyId() {
    return publicJwk.getKeyID();
  }

  /** The public key as a JWK ({@code kty EC, crv P-256, x, y, kid, use sig, alg ES256}); no private member. */
  public ECKey publicJwk() {
    return publicJwk;
  }

  /** {@code {"keys":[…]}} with the public key only: what {@code taskbound-issuer controllers add --jwks} takes. */
  public String publicJwksJson() {
    return new JWKSet(publicJwk).toString(true);
  }

  /** The private key as unencrypted PKCS#8 PEM, for the plugin to store encrypted (a Jenkins {@code Secret}). */
  public String privateKeyPem() {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(privateKey.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  JWSSigner signer() {
    try {
      return new ECDSASigner(privateKey, Curve.P_256);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign with the controller key", e);
    }
  }

  ECPublicKey publicKey() {
    return publicKey;
  }

  @Override
  public String toString() {
    return "ControllerKey[P-256, kid=" + keyId() + ", private=<redacted>]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ControllerKey k && k.publicJwk.equals(publicJwk);
  }

  @Override
  public int hashCode() {
    return publicJwk.hashCode();
  }

  // ---- public key from the private scalar: Q = d·G on the curve of the key ------------------------------------

  private static ECPublicKey derivePublic(ECPrivateKey priv) {
    ECParameterSpec spec = priv.getParams();
    ECPoint q = multiply(spec.getGenerator(), priv.getS(), spec);
    try {
      return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(q, spec));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the controller key PEM does not hold a usable EC key");
    }
  }

  /** Double-and-add in affine coordinates; slow, but run once per key load and never on secret-timing paths. */
  private static ECPoint multiply(ECPoint g, BigInteger k, ECParameterSpec spec) {
    ECPoint result = ECPoint.POINT_INFINITY;
    ECPoint addend = g;
    for (int i = 0; i < k.bitLength(); i++) {
      if (k.testBit(i)) {
        result = add(result, addend, spec);
      }
      addend = add(addend, addend, spec);
    }
    return result;
  }

  private static ECPoint add(ECPoint a, ECPoint b, ECParameterSpec spec) {
    if (a.equals(ECPoint.POINT_INFINITY)) {
      return b;
    }
    if (b.equals(ECPoint.POINT_INFINITY)) {
      return a;
    }
    BigInteger p = ((ECFieldFp) spec.getCurve().getField()).getP();
    BigInteger lambda;
    if (a.getAffineX().equals(b.getAffineX())) {
      if (!a.getAffineY().equals(b.getAffineY()) || a.getAffineY().signum() == 0) {
        return ECPoint.POINT_INFINITY;
      }
      BigInteger x = a.getAffineX();
      lambda = x.multiply(x).multiply(BigInteger.valueOf(3)).add(spec.getCurve().getA())
          .multiply(a.getAffineY().shiftLeft(1).modInverse(p)).mod(p);
    } else {
      lambda = b.getAffineY().subtract(a.getAffineY())
          .multiply(b.getAffineX().subtract(a.getAffineX()).modInverse(p)).mod(p);
    }
    BigInteger x3 = lambda.multiply(lambda).subtract(a.getAffineX()).subtract(b.getAffineX()).mod(p);
    BigInteger y3 = lambda.multiply(a.getAffineX().subtract(x3)).subtract(a.getAffineY()).mod(p);
    return new ECPoint(x3, y3);
  }

  /** A derived public key that does not verify the private key's signature means the PEM is corrupt. */
  private void checkPair() {
    try {
      byte[] probe = "taskbound controller key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(privateKey);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(publicKey);
      v.update(probe);
      if (!v.verify(sig)) {
        throw new IllegalArgumentException("the controller key PEM does not hold a consistent EC key");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the controller key PEM does not hold a usable EC key");
    }
  }
}
