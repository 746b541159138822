package dev.taskbound.issuer.admin;

import java.math.BigInteger;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates for mutual-TLS tests: CAs, TLS server and client certificates, and HTTPS clients presenting them. */
final class TestPki {
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestPki() {}

  /** A certificate with its key. */
  record Issued(X509Certificate cert, PrivateKey key) {}

  static KeyPair ecKeyPair() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    return gen.generateKeyPair();
  }

  /** A self-signed CA. */
  static Issued ca(String name) throws Exception {
    KeyPair key = ecKeyPair();
    JcaX509v3CertificateBuilder b = builder(name, name, key, Instant.now(), Duration.ofDays(1));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new Issued(sign(b, key.getPrivate()), key.getPrivate());
  }

  /** An end-entity certificate issued by {@code ca}, with URI SANs, for {@code purpose} (clientAuth, serverAuth …). */
  static Issued leaf(Issued ca, String subject, List<String> uris, KeyPurposeId purpose, Instant notBefore, Duration lifetime)
      throws Exception {
    KeyPair key = ecKeyPair();
    JcaX509v3CertificateBuilder b =
        builder(ca.cert().getSubjectX500Principal().getName(), subject, key, notBefore, lifetime);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    if (!uris.isEmpty()) {
      b.addExtension(
          Extension.subjectAlternativeName, false,
          new GeneralNames(uris.stream().map(u -> new GeneralName(GeneralName.uniformResourceIdentifier, u)).toArray(GeneralName[]::new)));
    }
    return new Issued(sign(b, ca.key()), key.getPrivate());
  }

  static Issued clientCert(Issued ca, String subject, String... uris) throws Exception {
    return leaf(ca, subject, List.of(uris), KeyPurposeId.id_kp_clientAuth, Instant.now(), Duration.ofHours(1));
  }

  /** A self-signed TLS server certificate for 127.0.0.1. */
  static Issued tlsServer() throws Exception {
    KeyPair key = ecKeyPair();
    JcaX509v3CertificateBuilder b = builder("CN=127.0.0.1", "CN=127.0.0.1", key, Instant.now(), Duration.ofDays(1));
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    return new Issued(sign(b, key.getPrivate()), key.getPrivate());
  }

  private static JcaX509v3CertificateBuilder builder(String issuer, String subject, KeyPair key, Instant notBefore, Duration lifetime) {
    return new JcaX509v3CertificateBuilder(
        name(issuer), new BigInteger(64, RANDOM).add(BigInteger.ONE), Date.from(notBefore.minusSeconds(60)),
        Date.from(notBefore.plus(lifetime)), name(subject), key.getPublic());
  }

  /** An RFC 4514 name encoded as the JDK (and openssl) do: the last RDN of the string first. */
  private static X500Name name(String rfc4514) {
    return X500Name.getInstance(new X500Principal(rfc4514).getEncoded());
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey by) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(by)));
  }

  static void writePem(Path file, String type, byte[]... ders) throws Exception {
    StringBuilder out = new StringBuilder();
    for (byte[] der : ders) {
      out.append("-----BEGIN ").append(type).append("-----\n")
          .append(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der))
          .append("\n-----END ").append(type).append("-----\n");
    }
    Files.writeString(file, out);
  }

  /** An HTTPS client trusting {@code server}, presenting {@code chain} (leaf first) when given, whatever CAs the server names. */
  static HttpClient https(X509Certificate server, List<X509Certificate> chain, PrivateKey key) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("issuer", server);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManager[] keyManagers = null;
    if (chain != null) {
      char[] password = "test".toCharArray();
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", key, password, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);
      keyManagers = new KeyManager[] {new AlwaysPresent((X509ExtendedKeyManager) kmf.getKeyManagers()[0])};
    }
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(keyManagers, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** Presents our certificate even when the server's list of accepted issuers does not name its CA. */
  private static final class AlwaysPresent extends X509ExtendedKeyManager {
    private final X509ExtendedKeyManager keys;

    AlwaysPresent(X509ExtendedKeyManager keys) {
      this.keys = keys;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "client";
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "client";
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"client"};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return keys.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return keys.getPrivateKey(alias);
    }
  }
}
