package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.store.BundleKeyRecord;
import dev.taskbound.issuer.store.KeyState;
import dev.taskbound.issuer.store.Store;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator-supplied CA (PEM intermediate or PKCS#11): never rotated by us. Its root is published as the
 * active X.509 authority; roots from an earlier configuration are retired and kept until they expire.
 */
final class ConfiguredX509Authority implements AuthoritySource<X509Authority> {
  private static final Logger LOG = LoggerFactory.getLogger(ConfiguredX509Authority.class);

  private final X509Authority authority;
  private final Store store;
  private final KeyManager keys;

  ConfiguredX509Authority(X509Authority authority, Store store, KeyManager keys) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.store = Objects.requireNonNull(store, "store");
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  @Override
  public X509Authority active() {
    return authority;
  }

  @Override
  public synchronized boolean rotate(Instant now) {
    boolean changed = false;
    boolean published = false;
    for (BundleKeyRecord record : store.bundleKeys()) {
      if (!BundleService.USE_X509.equals(record.use())) {
        continue;
      }
      if (record.kid().equals(authority.kid())) {
        published = record.state() == KeyState.ACTIVE;
      } else if (record.state() != KeyState.RETIRED) {
        Instant removeAfter = record.notAfter() != null ? record.notAfter() : now;
        store.putBundleKey(new BundleKeyRecord(
            record.kid(), record.use(), record.alg(), KeyState.RETIRED, record.publicMaterial(),
            record.createdAt(), record.activatedAt(), now, record.notAfter(), removeAfter));
        LOG.info("x509-svid authority {} retired: the configured CA replaces it", record.kid());
        changed = true;
      } else if (record.removeAfter() != null && !now.isBefore(record.removeAfter())) {
        store.removeBundleKey(record.kid());
        keys.delete(record.kid());
        changed = true;
      }
    }
    if (!published) {
      Instant rootNotAfter = authority.root().getNotAfter().toInstant();
      store.putBundleKey(new BundleKeyRecord(
          authority.kid(), BundleService.USE_X509, KeyAlgorithm.of(authority.privateKey()).jwsAlgorithm(),
          KeyState.ACTIVE, Pem.certificate(authority.root()), now, now, null, rootNotAfter, null));
      LOG.info("x509-svid authority {} ({}) published", authority.kid(), authority.root().getSubjectX500Principal());
      changed = true;
    }
    return changed;
  }
}
