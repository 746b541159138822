package dev.taskbound.client;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP client an adapter uses to reach its issuer: the JVM's default trust, or — when the operator pastes the
 * issuer's CA certificates (PEM) — those certificates only, so a private issuer needs no change to the JVM's
 * trust store and a public CA cannot vouch for a look-alike.
 */
public final class IssuerTls {
  private IssuerTls() {}

  /** @param trustedCertificatesPem PEM certificates to trust instead of the JVM defaults; null or blank for the defaults */
  public static HttpClient httpClient(String trustedCertificatesPem) {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (trustedCertificatesPem != null && !trustedCertificatesPem.isBlank()) {
      b.sslContext(sslContext(trustedCertificatesPem));
    }
    return b.build();
  }

  static SSLContext sslContext(String pem) {
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("the trusted certificates PEM holds no certificate");
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        store.setCertificateEntry("issuer-ca-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("the trusted certificates are not valid PEM X.509 certificates: " + e.getMessage(), e);
    }
  }

  /** How many certificates {@code pem} holds; throws with the reason when it is not valid PEM. */
  public static int countCertificates(String pem) {
    try {
      return CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).size();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not valid PEM X.509 certificates: " + e.getMessage(), e);
    }
  }
}
