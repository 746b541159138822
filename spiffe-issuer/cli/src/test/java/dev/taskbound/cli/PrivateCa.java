package dev.taskbound.cli;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * An internal CA as a company runs one, unknown to the JVM's trust store, and a server certificate it issued for
 * 127.0.0.1: {@code ca.pem}, {@code tls.crt} (leaf then CA) and {@code tls.key} in {@code dir}.
 */
record PrivateCa(Path caPem, Path certFile, Path keyFile) {
  static PrivateCa create(Path dir) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    KeyPair caKey = gen.generateKeyPair();
    KeyPair tlsKey = gen.generateKeyPair();
    Instant now = Instant.now();
    X500Name caName = new X500Name("CN=Acme Internal CA");
    X509Certificate ca = new JcaX509CertificateConverter().getCertificate(
        new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, Date.from(now.minus(1, ChronoUnit.HOURS)),
            Date.from(now.plus(1, ChronoUnit.DAYS)), caName, caKey.getPublic())
            .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
            .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
    X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(
        new JcaX509v3CertificateBuilder(caName, BigInteger.TWO, Date.from(now.minus(1, ChronoUnit.HOURS)),
            Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name("CN=issuer.acme.internal"), tlsKey.getPublic())
            .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")))
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate())));
    PrivateCa files = new PrivateCa(dir.resolve("ca.pem"), dir.resolve("tls.crt"), dir.resolve("tls.key"));
    Files.writeString(files.caPem(), pem("CERTIFICATE", ca.getEncoded()));
    Files.writeString(files.certFile(), pem("CERTIFICATE", leaf.getEncoded()) + pem("CERTIFICATE", ca.getEncoded()));
    Files.writeString(files.keyFile(), pem("PRIVATE KEY", tlsKey.getPrivate().getEncoded()));
    return files;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
