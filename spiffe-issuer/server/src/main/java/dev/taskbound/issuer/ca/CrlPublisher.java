package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate revocation list of revoked, unexpired X.509-SVIDs, signed by the active X.509 authority. Built
 * from the store only when something changed ({@link #markStale}), when the authority rotated, when a listed
 * serial expired, or every {@code refresh} (so another replica's revocations appear within that bound); between
 * those, {@link #current} hands out the cached DER without touching the store.
 */
public final class CrlPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(CrlPublisher.class);
  private static final Duration MAX_REFRESH = Duration.ofSeconds(30);

  /** A signed CRL and what it says about its own freshness. */
  public record Crl(byte[] der, BigInteger number, Instant thisUpdate, Instant nextUpdate, int entries) {}

  private record Snapshot(Crl crl, String authorityKid, long generation, Instant refreshAt) {}

  private final Supplier<X509Authority> authority;
  private final Store store;
  private final Clock clock;
  private final Duration nextUpdate;
  private final Duration refresh;
  private final AtomicLong changes = new AtomicLong();
  private volatile Snapshot snapshot;

  /**
   * @param nextUpdate how far ahead each CRL's {@code nextUpdate} lies: the longest a relying party may cache it
   */
  public CrlPublisher(Supplier<X509Authority> authority, Store store, Clock clock, Duration nextUpdate) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (nextUpdate == null || nextUpdate.isNegative() || nextUpdate.isZero()) {
      throw new IllegalArgumentException("the CRL's next update must be a positive duration");
    }
    this.nextUpdate = nextUpdate;
    Duration half = nextUpdate.dividedBy(2);
    this.refresh = half.compareTo(MAX_REFRESH) < 0 ? half : MAX_REFRESH;
  }

  /** Something was revoked: the next {@link #current} call rebuilds. Cheap; safe from any thread. */
  public void markStale() {
    changes.incrementAndGet();
  }

  /** The CRL to serve now. */
  public Crl current() {
    Instant now = clock.instant();
    X509Authority ca = authority.get();
    Snapshot s = snapshot;
    if (fresh(s, ca, now)) {
      return s.crl();
    }
    synchronized (this) {
      s = snapshot;
      if (fresh(s, ca, now)) {
        return s.crl();
      }
      try {
        snapshot = build(ca, now, s == null ? BigInteger.ZERO : s.crl().number());
      } catch (StoreException e) {
        // A CRL that is still within its nextUpdate stays truthful enough to serve while the store is away.
        if (s != null && now.isBefore(s.crl().nextUpdate()) && s.authorityKid().equals(ca.kid())) {
          LOG.warn("CRL not rebuilt (store unavailable); serving CRL #{} until it is", s.crl().number());
          return s.crl();
        }
        throw e;
      }
      return snapshot.crl();
    }
  }

  private boolean fresh(Snapshot s, X509Authority ca, Instant now) {
    return s != null
        && s.generation() == changes.get()
        && now.isBefore(s.refreshAt())
        && s.authorityKid().equals(ca.kid());
  }

  private Snapshot build(X509Authority ca, Instant now, BigInteger previousNumber) {
    // Read the change counter before the store, so a revocation committed during the build marks this one stale.
    long generation = changes.get();
    List<CredentialRecord> revoked = store.revokedUnexpired(CredentialKind.X509_SVID, now);
    X509Certificate caCert = ca.certificate();
    Instant next = now.plus(nextUpdate);
    // CRL numbers must only grow, across restarts and replicas too: the build time in milliseconds does that
    // without shared state; +1 covers two builds within one millisecond.
    BigInteger number = BigInteger.valueOf(now.toEpochMilli()).max(previousNumber.add(BigInteger.ONE));
    Instant refreshAt = now.plus(refresh);
    try {
      X509v2CRLBuilder builder = new JcaX509v2CRLBuilder(caCert, Date.from(now));
      builder.setNextUpdate(Date.from(next));
      for (CredentialRecord c : revoked) {
        builder.addCRLEntry(new BigInteger(c.credentialId(), 16), Date.from(c.revokedAt()), CRLReason.cessationOfOperation);
        if (c.expiresAt().isBefore(refreshAt)) {
          refreshAt = c.expiresAt();
        }
      }
      builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
      builder.addExtension(
          Extension.authorityKeyIdentifier, false, new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCert));
      // No provider pinned: the JCA picks the one that holds the key (software, ACCP or a PKCS#11 token).
      ContentSigner signer =
          new JcaContentSignerBuilder(KeyAlgorithm.of(ca.privateKey()).jcaSignature()).build(ca.privateKey());
      byte[] der = builder.build(signer).getEncoded();
      return new Snapshot(new Crl(der, number, now, next, revoked.size()), ca.kid(), generation, refreshAt);
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign the CRL with authority " + ca.kid(), e);
    }
  }
}
