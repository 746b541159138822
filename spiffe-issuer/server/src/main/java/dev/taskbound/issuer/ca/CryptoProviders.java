package dev.taskbound.issuer.ca;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import com.amazon.corretto.crypto.provider.SelfTestStatus;
import java.security.Provider;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the fastest healthy JCA provider first: Amazon Corretto Crypto Provider when its native library loads and
 * passes its self-tests (about 30x SunEC for ECDSA P-256 signing), else Bouncy Castle (about 5x SunEC).
 * Nothing else in {@code ca} names a provider, so a PKCS#11 key still signs through its own provider.
 */
public final class CryptoProviders {
  private static final Logger LOG = LoggerFactory.getLogger(CryptoProviders.class);
  private static volatile String active;

  private CryptoProviders() {}

  /** Installs the provider once per JVM; later calls return the name chosen first. */
  public static synchronized String install() {
    if (active != null) {
      return active;
    }
    Provider chosen = healthyAccp();
    if (chosen == null) {
      chosen = Security.getProvider(BouncyCastleProvider.PROVIDER_NAME);
      if (chosen == null) {
        chosen = new BouncyCastleProvider();
      }
    }
    Security.removeProvider(chosen.getName());
    Security.insertProviderAt(chosen, 1);
    active = chosen.getName();
    LOG.info("JCA provider at position 1: {} {}", chosen.getName(), chosen.getVersionStr());
    return active;
  }

  /** The name of the provider {@link #install()} put first, installing it if nobody has yet. */
  public static String active() {
    String name = active;
    return name != null ? name : install();
  }

  /** Bouncy Castle, registered (at the end) so code that names it explicitly finds it; never reordered. */
  public static Provider bouncyCastle() {
    Provider bc = Security.getProvider(BouncyCastleProvider.PROVIDER_NAME);
    if (bc == null) {
      bc = new BouncyCastleProvider();
      Security.addProvider(bc);
    }
    return bc;
  }

  private static Provider healthyAccp() {
    try {
      AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
      Throwable loadingError = accp.getLoadingError();
      if (loadingError != null) {
        LOG.warn("Amazon Corretto Crypto Provider unavailable ({}); using Bouncy Castle", loadingError.toString());
        return null;
      }
      SelfTestStatus status = accp.runSelfTests();
      if (status != SelfTestStatus.PASSED) {
        LOG.warn("Amazon Corretto Crypto Provider self-tests {}; using Bouncy Castle", status);
        return null;
      }
      return accp;
    } catch (LinkageError | RuntimeException e) {
      // A missing or foreign-arch native library surfaces as a LinkageError from the class initialiser.
      LOG.warn("Amazon Corretto Crypto Provider failed to load ({}); using Bouncy Castle", e.toString());
      return null;
    }
  }
}
