package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.store.BundleKeyRecord;
import dev.taskbound.issuer.store.KeyState;
import dev.taskbound.issuer.store.Store;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks one kind of generated signing authority through prepared → active → retired → removed. A successor is
 * published {@code prepareBefore} ahead of its activation so verifiers already trust it when it starts signing;
 * a retired authority stays published until everything it signed has expired. Public halves live in the store
 * (every change bumps {@code spiffe_sequence}); private halves in the {@link KeyManager}.
 *
 * @param <A> what the minters sign with
 */
final class AuthorityRotation<A> implements AuthoritySource<A> {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorityRotation.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What differs between JWT keys and X.509 roots. */
  interface Kind<A> {
    /** {@code jwt-svid} or {@code x509-svid}. */
    String use();

    KeyAlgorithm algorithm();

    /** The public material (JWK JSON or certificate PEM) and expiry of a freshly generated key. */
    Published publish(String kid, SigningKey key, Instant now);

    A authority(BundleKeyRecord record, SigningKey key);

    /** When a key retired at {@code retiredAt} has nothing valid left that it signed. */
    Instant removeAfter(BundleKeyRecord record, Instant retiredAt);
  }

  record Published(String material, Instant notAfter) {}

  /** Where the public halves are kept: the SPIFFE bundle table, or the downstream-key table behind {@code /jwks}. */
  interface KeyRecords {
    List<BundleKeyRecord> all();

    void put(BundleKeyRecord record);

    void remove(String kid);

    /** Runs one rotation pass so that no other replica rotates these records at the same time. */
    default <T> T exclusively(java.util.function.Supplier<T> work) {
      return work.get();
    }

    static KeyRecords bundle(Store store) {
      return new KeyRecords() {
        @Override
        public List<BundleKeyRecord> all() {
          return store.bundleKeys();
        }

        @Override
        public void put(BundleKeyRecord record) {
          store.putBundleKey(record);
        }

        @Override
        public void remove(String kid) {
          store.removeBundleKey(kid);
        }

        @Override
        public <T> T exclusively(java.util.function.Supplier<T> work) {
          return store.exclusively(LOCK, work);
        }
      };
    }
  }

  /** The store-wide lock rotation passes take: replicas on one database rotate one at a time. */
  static final String LOCK = "key-rotation";

  private final Kind<A> kind;
  private final KeyRecords store;
  private final KeyManager keys;
  private final Duration rotateAfter;
  private final Duration prepareBefore;
  private volatile A active;
  private volatile String activeKid;

  AuthorityRotation(Kind<A> kind, Store store, KeyManager keys, Duration rotateAfter, Duration prepareBefore) {
    this(kind, KeyRecords.bundle(Objects.requireNonNull(store, "store")), keys, rotateAfter, prepareBefore);
  }

  AuthorityRotation(
      Kind<A> kind, KeyRecords records, KeyManager keys, Duration rotateAfter, Duration prepareBefore) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.store = Objects.requireNonNull(records, "records");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.rotateAfter = positive(rotateAfter, "rotateAfter");
    this.prepareBefore = positive(prepareBefore, "prepareBefore");
    if (prepareBefore.compareTo(rotateAfter) >= 0) {
      throw new IllegalArgumentException(kind.use() + ": prepareBefore must be shorter than rotateAfter");
    }
  }

  /** The authority signing now; {@link #rotate} must have run once. */
  @Override
  public A active() {
    A current = active;
    if (current == null) {
      throw new IllegalStateException("no active " + kind.use() + " authority: rotate() has not run");
    }
    return current;
  }

  /**
   * Brings the authorities up to date for {@code now}; returns true when the bundle changed. Runs under the store's
   * rotation lock, so replicas sharing a database (and, with shared keys, the keys) take turns: the second one sees
   * what the first did and changes nothing; a successor another replica activated becomes this one's signer here.
   */
  @Override
  public synchronized boolean rotate(Instant now) {
    return store.exclusively(() -> rotateLocked(now));
  }

  private boolean rotateLocked(Instant now) {
    boolean changed = removeExpired(now);
    List<BundleKeyRecord> mine = mine();

    // An authority whose private key is gone (lost disk, another replica's key) cannot sign: retire it.
    Loaded current = null;
    for (BundleKeyRecord record : byNewest(mine, KeyState.ACTIVE)) {
      Optional<SigningKey> key = keys.load(record.kid());
      if (current == null && key.isPresent()) {
        current = new Loaded(record, key.get());
      } else {
        retire(record, now);
        changed = true;
      }
    }
    Loaded prepared = null;
    for (BundleKeyRecord record : byNewest(mine, KeyState.PREPARED)) {
      Optional<SigningKey> key = keys.load(record.kid());
      if (prepared == null && key.isPresent()) {
        prepared = new Loaded(record, key.get());
      } else {
        store.remove(record.kid());
        changed = true;
      }
    }

    if (current == null || !now.isBefore(current.record.activatedAt().plus(rotateAfter))) {
      Loaded successor = prepared != null ? prepared : generate(now);
      BundleKeyRecord activated =
          withState(successor.record, KeyState.ACTIVE, now, null, null);
      store.put(activated);
      if (current != null) {
        retire(current.record, now);
      }
      LOG.info("{} authority {} is now active", kind.use(), activated.kid());
      current = new Loaded(activated, successor.key);
      prepared = null;
      changed = true;
    }
    if (prepared == null
        && !now.isBefore(current.record.activatedAt().plus(rotateAfter).minus(prepareBefore))) {
      Loaded next = generate(now);
      LOG.info("{} authority {} prepared", kind.use(), next.record.kid());
      changed = true;
    }
    A currentAuthority = active;
    if (changed || currentAuthority == null || !current.record.kid().equals(activeKid)) {
      active = kind.authority(current.record, current.key);
      activeKid = current.record.kid();
    }
    return changed;
  }

  private boolean removeExpired(Instant now) {
    boolean changed = false;
    for (BundleKeyRecord record : mine()) {
      if (record.state() == KeyState.RETIRED
          && record.removeAfter() != null
          && !now.isBefore(record.removeAfter())) {
        store.remove(record.kid());
        keys.delete(record.kid());
        LOG.info("{} authority {} removed from the bundle", kind.use(), record.kid());
        changed = true;
      }
    }
    return changed;
  }

  private Loaded generate(Instant now) {
    String kid = newKid();
    // Key first, then the public record: a crash in between leaves an orphan file, never a published key
    // nobody can sign with.
    SigningKey key = keys.generate(kid, kind.algorithm());
    Published published = kind.publish(kid, key, now);
    BundleKeyRecord record =
        new BundleKeyRecord(
            kid, kind.use(), kind.algorithm().jwsAlgorithm(), KeyState.PREPARED, published.material(),
            now, null, null, published.notAfter(), null);
    store.put(record);
    return new Loaded(record, key);
  }

  private void retire(BundleKeyRecord record, Instant now) {
    Instant removeAfter = kind.removeAfter(record, now);
    store.put(withState(record, KeyState.RETIRED, record.activatedAt(), now, removeAfter));
    LOG.info("{} authority {} retired, published until {}", kind.use(), record.kid(), removeAfter);
  }

  private static BundleKeyRecord withState(
      BundleKeyRecord r, KeyState state, Instant activatedAt, Instant retiredAt, Instant removeAfter) {
    return new BundleKeyRecord(
        r.kid(), r.use(), r.alg(), state, r.publicMaterial(), r.createdAt(), activatedAt, retiredAt,
        r.notAfter(), removeAfter);
  }

  private List<BundleKeyRecord> mine() {
    List<BundleKeyRecord> mine = new ArrayList<>();
    for (BundleKeyRecord record : store.all()) {
      if (kind.use().equals(record.use())) {
        mine.add(record);
      }
    }
    return mine;
  }

  private static List<BundleKeyRecord> byNewest(List<BundleKeyRecord> records, KeyState state) {
    return records.stream()
        .filter(r -> r.state() == state)
        .sorted(Comparator.comparing(BundleKeyRecord::createdAt).reversed())
        .toList();
  }

  private static String newKid() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static Duration positive(Duration duration, String name) {
    if (duration == null || duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration");
    }
    return duration;
  }

  private record Loaded(BundleKeyRecord record, SigningKey key) {}
}
