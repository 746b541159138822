package dev.taskbound.issuer.http;

import java.time.Clock;
import dev.taskbound.issuer.config.IssuerConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.TrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import sun.misc.Unsafe;

/**
 * The issuer's Jetty server: binds first (so the issuer URL is known, port 0 included), takes its handler later.
 * Plain HTTP only when no TLS is configured, which the configuration allows in dev mode only (loopback).
 */
public final class HttpServer implements AutoCloseable {
  /**
   * How long {@link #close} waits for requests in flight; inside Kubernetes' default 30 s termination grace period.
   */
  static final java.time.Duration DRAIN_TIMEOUT = java.time.Duration.ofSeconds(20);
  private static final String JETTY_REFERENCES_PER_CACHE_LINE = "org.eclipse.jetty.util.referencesPerCacheLine";
  private static final String JETTY_CACHE_LINE_BYTES = "org.eclipse.jetty.util.cacheLineBytes";

  private final Server server;
  private final ServerConnector connector;
  private final boolean tls;
  private final SvidClientTrust clientTrust;

  private HttpServer(Server server, ServerConnector connector, boolean tls, SvidClientTrust clientTrust) {
    this.server = server;
    this.connector = connector;
    this.tls = tls;
    this.clientTrust = clientTrust;
  }

  /** Opens the listening socket; call {@link #start} with the handler afterwards. */
  public static HttpServer bind(IssuerConfig config) throws IOException {
    tellJettyTheReferenceSize();
    QueuedThreadPool pool = new QueuedThreadPool(200, 8);
    pool.setName("taskbound-http");
    Server server = new Server(pool);
    server.setStopTimeout(DRAIN_TIMEOUT.toMillis());
    server.setErrorHandler(new ProblemErrorHandler());
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendDateHeader(true);
    // Jetty reuses a header line already seen on the connection when a new one matches it, by default ignoring case:
    // a bearer token in another case was then read as the one sent before it (and the genuine one, sent after, as
    // the wrong case). Secrets differ by case; match exactly.
    http.setHeaderCacheCaseSensitive(true);
    ServerConnector connector;
    boolean tls = config.tls() != null;
    SvidClientTrust clientTrust = new SvidClientTrust();
    if (tls) {
      http.addCustomizer(new SecureRequestCustomizer());
      // Mutual TLS is optional: an X.509-SVID, when presented, must chain to our current authorities (token
      // exchange with the X.509-SVID as subject); clients without a certificate connect as before.
      SslContextFactory.Server ssl =
          new SslContextFactory.Server() {
            @Override
            protected TrustManager[] getTrustManagers(KeyStore trustStore, Collection<? extends CRL> crls) {
              return new TrustManager[] {clientTrust};
            }
          };
      ssl.setWantClientAuth(true);
      // An in-memory keystore needs a password; a random one never leaves this process.
      String password = java.util.UUID.randomUUID().toString();
      ssl.setKeyStore(keyStore(config.tls().certFile(), config.tls().keyFile(), password.toCharArray()));
      ssl.setKeyStorePassword(password);
      ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
      connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
    } else {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    }
    connector.setHost(config.listenHost());
    connector.setPort(config.listenPort());
    server.addConnector(connector);
    connector.open();
    return new HttpServer(server, connector, tls, clientTrust);
  }

  /**
   * Jetty pads its thread pool's queue by the size of an object reference, which it otherwise asks the platform MBean
   * server for: creating that server (registering every platform MXBean) took about 50 ms of start-up, for nothing
   * else. An object array's index scale is that size (4 bytes with compressed oops, else 8).
   */
  private static void tellJettyTheReferenceSize() {
    if (System.getProperty(JETTY_REFERENCES_PER_CACHE_LINE) == null) {
      int cacheLineBytes = Integer.getInteger(JETTY_CACHE_LINE_BYTES, 64);
      System.setProperty(JETTY_REFERENCES_PER_CACHE_LINE, Integer.toString(cacheLineBytes / Unsafe.ARRAY_OBJECT_INDEX_SCALE));
    }
  }

  /** The base URL this server answers on, e.g. {@code http://127.0.0.1:8080}. */
  public String localUrl() {
    String host = connector.getHost();
    if (host == null || host.equals("0.0.0.0")) {
      host = "127.0.0.1";
    } else if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return (tls ? "https://" : "http://") + host + ":" + connector.getLocalPort();
  }

  /** The X.509 authorities client certificates must chain to (read per handshake); call before {@link #start}. */
  public void trustClientCertificatesFrom(Supplier<List<X509Certificate>> authorities, Clock clock) {
    clientTrust.authorities(authorities, clock);
  }

  /** Also accepts client certificates issued by these CAs (operators' certificates for the admin API). */
  public void trustAdminClientCertificatesFrom(List<X509Certificate> authorities) {
    if (!tls) {
      throw new IllegalStateException("admin client certificates need the HTTPS listener (tls)");
    }
    clientTrust.adminAuthorities(authorities);
  }

  public void start(Handler handler) throws Exception {
    // On stop, connectors stop accepting and new requests get 503 while those in flight finish (up to DRAIN_TIMEOUT).
    server.setHandler(new GracefulHandler(handler));
    server.start();
  }

  /** Stops accepting, lets requests in flight finish (bounded by {@link #DRAIN_TIMEOUT}), then stops. Idempotent. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("HTTP server did not stop cleanly", e);
    }
  }

  private static KeyStore keyStore(Path certFile, Path keyFile, char[] password) throws IOException {
    try {
      Collection<? extends Certificate> chain;
      try (var in = Files.newInputStream(certFile)) {
        chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (chain.isEmpty()) {
        throw new IOException("no certificate in " + certFile);
      }
      PrivateKey key;
      try (Reader r = Files.newBufferedReader(keyFile); PEMParser parser = new PEMParser(r)) {
        Object pem = parser.readObject();
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (pem instanceof PEMKeyPair pair) {
          key = converter.getPrivateKey(pair.getPrivateKeyInfo());
        } else if (pem instanceof PrivateKeyInfo info) {
          key = converter.getPrivateKey(info);
        } else {
          throw new IOException("no unencrypted private key in " + keyFile);
        }
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("tls", key, password, chain.toArray(new Certificate[0]));
      return ks;
    } catch (GeneralSecurityException e) {
      throw new IOException("TLS certificate or key unusable: " + e.getMessage(), e);
    }
  }
}
