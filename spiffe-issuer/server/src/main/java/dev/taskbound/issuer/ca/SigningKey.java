package dev.taskbound.issuer.ca;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Objects;

/**
 * A private key held by a {@link KeyManager}, with its algorithm bound in so no caller picks one. The private key
 * may be a PKCS#11 handle whose bytes never leave the token.
 */
public record SigningKey(String id, KeyAlgorithm algorithm, PrivateKey privateKey, PublicKey publicKey) {
  public SigningKey {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(publicKey, "publicKey");
  }

  /** A {@link Signature} initialised for signing; the JCA picks the provider that accepts this key. */
  public Signature signature() {
    try {
      Signature signature = Signature.getInstance(algorithm.jcaSignature());
      signature.initSign(privateKey);
      return signature;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("key " + id + " cannot sign with " + algorithm.jcaSignature(), e);
    }
  }

  @Override
  public String toString() {
    return "SigningKey[id=" + id + ", algorithm=" + algorithm + "]";
  }
}
