package dev.taskbound.issuer.ca;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Path validation of an X.509-SVID chain against our X.509 authorities (no revocation: we check that in memory). */
public final class SvidChains {
  private SvidChains() {}

  /** True when {@code chain} (leaf first) leads to one of {@code authorities} and is valid at {@code now}. */
  public static boolean chainsTo(List<X509Certificate> chain, Collection<X509Certificate> authorities, Instant now) {
    if (chain.isEmpty() || authorities.isEmpty()) {
      return false;
    }
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (X509Certificate root : authorities) {
        anchors.add(new TrustAnchor(root, null));
      }
      // A client may send the root along; the path to validate excludes the anchors themselves.
      List<X509Certificate> path = chain.stream().filter(c -> !authorities.contains(c)).toList();
      if (path.isEmpty()) {
        return false;
      }
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      // Providers throw unchecked exceptions on some malformed certificates and keys: not a valid chain either.
      return false;
    }
  }
}
