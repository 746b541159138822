package dev.taskbound.issuer.http;

import dev.taskbound.issuer.ca.SvidChains;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts client certificates that chain to our current X.509 authorities, read per handshake so root rotation needs
 * no restart, or to the admin CAs ({@code admin.mtls}) when configured. Until the issuer supplies its authorities, no
 * client certificate is trusted. A chain trusted here is checked again by what reads it: token exchange accepts only
 * X.509-SVIDs of active tasks, the admin API only admin CA certificates. Used for client certificates only: the
 * server never acts as a TLS client.
 */
final class SvidClientTrust extends X509ExtendedTrustManager {
  private volatile Supplier<List<X509Certificate>> authorities = List::of;
  private volatile Clock clock = Clock.systemUTC();
  private volatile List<X509Certificate> adminAuthorities = List.of();

  void authorities(Supplier<List<X509Certificate>> authorities, Clock clock) {
    this.authorities = authorities;
    this.clock = clock;
  }

  void adminAuthorities(List<X509Certificate> authorities) {
    this.adminAuthorities = List.copyOf(authorities);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    if (chain == null
        || !(SvidChains.chainsTo(List.of(chain), authorities.get(), clock.instant())
            || SvidChains.chainsTo(List.of(chain), adminAuthorities, clock.instant()))) {
      throw new CertificateException("client certificate does not chain to this issuer's X.509 authorities or admin CAs");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("the issuer does not verify TLS servers");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    List<X509Certificate> all = new java.util.ArrayList<>(authorities.get());
    all.addAll(adminAuthorities);
    return all.toArray(new X509Certificate[0]);
  }
}
