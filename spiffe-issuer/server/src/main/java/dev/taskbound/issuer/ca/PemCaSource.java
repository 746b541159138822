package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.config.IssuerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.util.List;

/** An intermediate CA from PEM files, signed by the organisation's root (which the bundle publishes). */
final class PemCaSource {
  private PemCaSource() {}

  static X509Authority load(IssuerConfig.Ca ca) {
    if (ca.certFile() == null || ca.keyFile() == null) {
      throw new IllegalArgumentException("ca.source pem needs ca.cert_file and ca.key_file");
    }
    List<X509Certificate> certs = CaChain.readCertificates(ca.certFile(), "ca.cert_file");
    String keyPem;
    try {
      keyPem = Files.readString(ca.keyFile(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ca.key_file " + ca.keyFile().getFileName(), e);
    }
    // A cert file that already carries its chain is accepted too; the chain file then adds nothing new.
    List<X509Certificate> chain = new java.util.ArrayList<>(certs.subList(1, certs.size()));
    for (X509Certificate cert : CaChain.readCertificates(ca.chainFile(), "ca.chain_file")) {
      if (!chain.contains(cert)) {
        chain.add(cert);
      }
    }
    return CaChain.authority(Pem.parsePrivateKey(keyPem), certs.get(0), chain);
  }
}
