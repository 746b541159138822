package dev.taskbound.issuer.ca;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;

/** The signing-key types the issuer generates, each bound to its one signature algorithm. */
public enum KeyAlgorithm {
  EC_P256("EC", "SHA256withECDSA", "ES256"),
  RSA_2048("RSA", "SHA256withRSA", "RS256");

  private final String keyType;
  private final String jcaSignature;
  private final String jwsAlgorithm;

  KeyAlgorithm(String keyType, String jcaSignature, String jwsAlgorithm) {
    this.keyType = keyType;
    this.jcaSignature = jcaSignature;
    this.jwsAlgorithm = jwsAlgorithm;
  }

  public String keyType() {
    return keyType;
  }

  public String jcaSignature() {
    return jcaSignature;
  }

  public String jwsAlgorithm() {
    return jwsAlgorithm;
  }

  public KeyPair generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(keyType);
      if (this == EC_P256) {
        generator.initialize(new ECGenParameterSpec("secp256r1"));
      } else {
        generator.initialize(2048);
      }
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate a " + this + " key", e);
    }
  }

  /** The algorithm a (possibly hardware-held) private key signs with. */
  public static KeyAlgorithm of(PrivateKey key) {
    return switch (key.getAlgorithm()) {
      case "EC", "ECDSA" -> EC_P256;
      case "RSA" -> RSA_2048;
      default -> throw new IllegalArgumentException("unsupported CA key algorithm: " + key.getAlgorithm());
    };
  }

  /** From {@code IssuerConfig.Jwt.algorithm}; null means the default ES256. */
  public static KeyAlgorithm forJws(String jws) {
    if (jws == null || jws.isBlank() || jws.equalsIgnoreCase("ES256")) {
      return EC_P256;
    }
    if (jws.equalsIgnoreCase("RS256")) {
      return RSA_2048;
    }
    throw new IllegalArgumentException("jwt.algorithm must be ES256 or RS256, not " + jws);
  }
}
