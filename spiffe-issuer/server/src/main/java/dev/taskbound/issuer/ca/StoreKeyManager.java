package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.store.Store;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keeps generated keys in the store, sealed, so every replica on one database signs with the same keys and publishes
 * the same bundle, JWKS and CRL. Each key is its PKCS#8 + public PEM (as {@link DiskKeyManager} writes it), encrypted
 * with AES-256-GCM under a key derived (SHA-256, domain-separated) from a secret only the replicas hold, with the
 * key id as associated data (a sealed key moved to another id does not open). The database never sees a private key
 * in the clear; whoever holds the secret and a database dump holds the keys, so the secret is kept like one.
 *
 * <p>{@link #generate} keeps a key already stored under the same id (first replica wins) and returns the stored one,
 * so replicas that race to create a fixed-id key (the SET signing key) end up with one key.
 */
public final class StoreKeyManager implements KeyManager {
  /** Shortest secret accepted: 32 characters (e.g. {@code openssl rand -base64 32} gives 44). */
  public static final int MIN_SECRET_LENGTH = 32;
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final String VERSION = "v1.";

  private final Store store;
  private final SecretKey sealing;
  private final Clock clock;
  /** Opened keys by id: a key id never changes its key (ids are random, or fixed and first-writer-wins). */
  private final Map<String, SigningKey> opened = new ConcurrentHashMap<>();

  public StoreKeyManager(Store store, String secret, Clock clock) {
    if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
      throw new IllegalArgumentException(
          "the key encryption secret must be at least " + MIN_SECRET_LENGTH + " characters");
    }
    this.store = store;
    this.clock = clock;
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("taskbound shared keys v1\0".getBytes(StandardCharsets.US_ASCII));
      byte[] key = sha.digest(secret.getBytes(StandardCharsets.UTF_8));
      this.sealing = new SecretKeySpec(key, "AES");
      Arrays.fill(key, (byte) 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  @Override
  public SigningKey generate(String id, KeyAlgorithm algorithm) {
    checkId(id);
    var pair = algorithm.generate();
    if (insert(id, pair)) {
      SigningKey key = new SigningKey(id, algorithm, pair.getPrivate(), pair.getPublic());
      opened.put(id, key);
      return key;
    }
    // Another replica stored this id first: use its key.
    return load(id).orElseThrow(() -> new IllegalStateException("shared key " + id + " vanished while generating"));
  }

  @Override
  public Optional<SigningKey> load(String id) {
    checkId(id);
    SigningKey cached = opened.get(id);
    if (cached != null) {
      return Optional.of(cached);
    }
    return loadPair(id).map(pair -> {
      SigningKey key = new SigningKey(id, KeyAlgorithm.of(pair.getPrivate()), pair.getPrivate(), pair.getPublic());
      opened.put(id, key);
      return key;
    });
  }

  /**
   * Stores {@code pair} sealed under {@code id} unless a key is stored there already, and returns the pair stored
   * there now: the first replica's. For a key outside {@link KeyAlgorithm} that every replica must sign with (the
   * evidence log's Ed25519 key), generated here or moved in from a replica's disk.
   */
  public KeyPair keepFirst(String id, KeyPair pair) {
    checkId(id);
    if (insert(id, pair)) {
      return pair;
    }
    return loadPair(id).orElseThrow(() -> new IllegalStateException("shared key " + id + " vanished while storing it"));
  }

  /** The key pair sealed under {@code id}, whatever its algorithm (see {@link #keepFirst}). */
  public Optional<KeyPair> loadPair(String id) {
    checkId(id);
    return store.sharedKey(id).map(sealed -> {
      String pem = open(id, sealed);
      return new KeyPair(Pem.parsePublicKey(pem), Pem.parsePrivateKey(pem));
    });
  }

  /** Inserts the sealed pair unless {@code id} is taken; true when this call stored it. */
  private boolean insert(String id, KeyPair pair) {
    String pem = Pem.privateKey(pair.getPrivate()) + Pem.publicKey(pair.getPublic());
    return store.insertSharedKey(id, seal(id, pem), clock.instant());
  }

  @Override
  public void delete(String id) {
    checkId(id);
    opened.remove(id);
    store.removeSharedKey(id);
  }

  private String seal(String id, String pem) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, sealing, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(id.getBytes(StandardCharsets.US_ASCII));
      byte[] sealed = cipher.doFinal(pem.getBytes(StandardCharsets.US_ASCII));
      byte[] out = new byte[nonce.length + sealed.length];
      System.arraycopy(nonce, 0, out, 0, nonce.length);
      System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
      return VERSION + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal key " + id, e);
    }
  }

  private String open(String id, String sealed) {
    if (!sealed.startsWith(VERSION)) {
      throw new IllegalStateException("shared key " + id + " has an unknown format");
    }
    try {
      byte[] in = Base64.getDecoder().decode(sealed.substring(VERSION.length()));
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, sealing, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
      cipher.updateAAD(id.getBytes(StandardCharsets.US_ASCII));
      return new String(cipher.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.US_ASCII);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // Never the secret or the key in the message: only which key and that the secret does not open it.
      throw new IllegalStateException(
          "shared key " + id + " does not open with this replica's key encryption secret (is it the same on every replica?)");
    }
  }

  private static void checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("key id must be 1-128 characters of [A-Za-z0-9_-]");
    }
  }
}
