package dev.taskbound.issuer.ca;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Checks an operator-supplied CA (PEM or PKCS#11) before it signs anything, and turns it into an authority. */
final class CaChain {
  private static final SecureRandom RANDOM = new SecureRandom();

  private CaChain() {}

  /**
   * Validates that {@code key} belongs to {@code cert}, that {@code cert} may issue certificates, and that
   * {@code chain} (issuer of {@code cert} first, up to the root) links up to a self-signed root.
   */
  static X509Authority authority(PrivateKey key, X509Certificate cert, List<X509Certificate> chain) {
    if (cert.getBasicConstraints() < 0) {
      throw new IllegalArgumentException("CA certificate " + cert.getSubjectX500Principal() + " is not a CA");
    }
    boolean[] usage = cert.getKeyUsage();
    if (usage != null && (usage.length <= 5 || !usage[5])) {
      throw new IllegalArgumentException(
          "CA certificate " + cert.getSubjectX500Principal() + " lacks keyCertSign in its key usage");
    }
    requireKeyMatches(key, cert);
    List<X509Certificate> path = new ArrayList<>();
    path.add(cert);
    path.addAll(chain);
    for (int i = 0; i + 1 < path.size(); i++) {
      verifyIssued(path.get(i), path.get(i + 1));
    }
    X509Certificate root = path.get(path.size() - 1);
    if (!root.getSubjectX500Principal().equals(root.getIssuerX500Principal())) {
      throw new IllegalArgumentException(
          "the CA chain must end at a self-signed root; it ends at " + root.getSubjectX500Principal()
              + " (set ca.chain_file to the certificates up to the root)");
    }
    verifyIssued(root, root);
    List<X509Certificate> intermediates = chain.isEmpty() ? List.of() : chain.subList(0, chain.size() - 1);
    return new X509Authority(rootKid(root), key, cert, intermediates, root);
  }

  /** The store id of a configured root: stable across restarts, distinct per root. */
  static String rootKid(X509Certificate root) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(root.getEncoded());
      return "root-" + HexFormat.of().formatHex(digest, 0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot fingerprint the root", e);
    }
  }

  static List<X509Certificate> readCertificates(Path file, String what) {
    if (file == null) {
      return List.of();
    }
    try {
      List<X509Certificate> certs = Pem.parseCertificates(Files.readString(file, StandardCharsets.US_ASCII));
      if (certs.isEmpty()) {
        throw new IllegalArgumentException(what + " " + file.getFileName() + " holds no certificate");
      }
      return certs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + what + " " + file.getFileName(), e);
    }
  }

  private static void requireKeyMatches(PrivateKey key, X509Certificate cert) {
    // Sign-and-verify works for keys whose bytes we cannot see (PKCS#11) as well as for software keys.
    byte[] challenge = new byte[32];
    RANDOM.nextBytes(challenge);
    String algorithm = KeyAlgorithm.of(key).jcaSignature();
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(challenge);
      if (!verifier.verify(signature)) {
        throw new IllegalArgumentException(
            "the CA private key does not match certificate " + cert.getSubjectX500Principal());
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "the CA private key does not match certificate " + cert.getSubjectX500Principal(), e);
    }
  }

  private static void verifyIssued(X509Certificate child, X509Certificate issuer) {
    if (!child.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      throw new IllegalArgumentException(
          child.getSubjectX500Principal() + " is not issued by " + issuer.getSubjectX500Principal()
              + " (order the chain from the CA's issuer up to the root)");
    }
    try {
      child.verify(issuer.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "signature of " + child.getSubjectX500Principal() + " does not verify with its issuer's key", e);
    }
  }
}
