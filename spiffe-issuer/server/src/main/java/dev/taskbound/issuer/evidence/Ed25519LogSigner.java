package dev.taskbound.issuer.evidence;

import dev.taskbound.client.evidence.InvalidEvidenceException;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.issuer.ca.Pem;
import dev.taskbound.issuer.ca.StoreKeyManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log key in software: Ed25519, kept as one PEM file (PKCS#8 private key, then public key), mode 0600; or, when
 * replicas share sealed keys, in the store, so every replica signs the one log's checkpoints with one key.
 */
public final class Ed25519LogSigner implements LogSigner {
  private static final Logger LOG = LoggerFactory.getLogger(Ed25519LogSigner.class);
  /** The log key's id among the store's sealed keys. */
  public static final String SHARED_KEY_ID = "evidence-log";
  private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private final PrivateKey privateKey;
  private final NoteKey noteKey;

  public Ed25519LogSigner(String name, KeyPair pair) {
    this.privateKey = pair.getPrivate();
    this.noteKey = NoteKey.ed25519(name, pair.getPublic());
    if (!noteKey.verify(new byte[] {1}, sign(new byte[] {1}))) {
      throw new EvidenceException("the evidence log's private and public keys do not match");
    }
  }

  /** Loads the key at {@code file}, generating and persisting a new one (0600) when it does not exist. */
  public static Ed25519LogSigner loadOrCreate(Path file, String name) {
    try {
      if (Files.exists(file)) {
        return new Ed25519LogSigner(name, readFile(file));
      }
      KeyPair pair = generate();
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.deleteIfExists(temp);
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(temp, Pem.privateKey(pair.getPrivate()) + Pem.publicKey(pair.getPublic()), StandardCharsets.US_ASCII);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
      return new Ed25519LogSigner(name, pair);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write the evidence log key " + file.getFileName(), e);
    }
  }

  /**
   * The log key sealed in the shared store: the one stored there, else the first one a replica stores (a conditional
   * insert: replicas starting together end up with one key). That first key is {@code keyFile} when this replica has
   * one that signed the log so far (an issuer that kept its key on disk moves it into the store), or a new key for a
   * log nobody has signed yet. Refuses a log signed by a key it has not got rather than storing another key.
   */
  public static Ed25519LogSigner loadOrCreateShared(StoreKeyManager keys, DataSource pool, Path keyFile, String name) {
    // The newest checkpoint before the key: a replica stores the key before it signs anything, so a checkpoint that
    // was there before the store had a key was signed by a key kept on disk.
    Optional<String> newest = new EvidenceStore(pool).latestCheckpoint();
    Optional<KeyPair> stored = keys.loadPair(SHARED_KEY_ID);
    Ed25519LogSigner signer =
        new Ed25519LogSigner(name, stored.orElseGet(() -> keys.keepFirst(SHARED_KEY_ID, firstSharedKey(newest, keyFile, name))));
    if (stored.isPresent() && Files.exists(keyFile)) {
      warnUnlessStored(keyFile, name, signer.noteKey());
    }
    return signer;
  }

  /** A key file left beside a key in the store is ignored; say so when it is another key (a copy is harmless). */
  private static void warnUnlessStored(Path keyFile, String name, NoteKey stored) {
    try {
      if (new Ed25519LogSigner(name, readFile(keyFile)).noteKey().equals(stored)) {
        return;
      }
    } catch (RuntimeException e) {
      // unreadable: ignored all the same
    }
    LOG.warn("{} is not the evidence log key in the store; it is ignored (the store's key signs)", keyFile.getFileName());
  }

  private static KeyPair firstSharedKey(Optional<String> newest, Path keyFile, String name) {
    if (!Files.exists(keyFile)) {
      if (newest.isPresent()) {
        throw new EvidenceException("the evidence log was signed with a key that is neither in the store nor in "
            + keyFile.getFileName() + ": start one replica with the key file that signed it, to move that key into the store");
      }
      return generate();
    }
    KeyPair onDisk = readFile(keyFile);
    if (newest.isPresent()) {
      try {
        SignedNote.openCheckpoint(newest.get(), new Ed25519LogSigner(name, onDisk).noteKey());
      } catch (InvalidEvidenceException e) {
        throw new EvidenceException(
            keyFile.getFileName() + " did not sign the evidence log's newest checkpoint: not moving it into the store", e);
      }
    }
    LOG.info("moving the evidence log key {} into the store, where every replica finds it", keyFile.getFileName());
    return onDisk;
  }

  private static KeyPair readFile(Path file) {
    try {
      return read(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the evidence log key " + file.getFileName(), e);
    }
  }

  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is part of every Java 17 platform", e);
    }
  }

  private static KeyPair read(String pem) {
    PrivateKey priv = null;
    PublicKey pub = null;
    try {
      KeyFactory factory = KeyFactory.getInstance("Ed25519");
      Matcher m = BLOCK.matcher(pem);
      while (m.find()) {
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        switch (m.group(1)) {
          case "PRIVATE KEY" -> priv = factory.generatePrivate(new PKCS8EncodedKeySpec(der));
          case "PUBLIC KEY" -> pub = factory.generatePublic(new X509EncodedKeySpec(der));
          default -> { }
        }
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new EvidenceException("the evidence log key file does not hold an Ed25519 key pair", e);
    }
    if (priv == null || pub == null) {
      throw new EvidenceException("the evidence log key file needs a PRIVATE KEY and a PUBLIC KEY block");
    }
    return new KeyPair(pub, priv);
  }

  @Override
  public NoteKey noteKey() {
    return noteKey;
  }

  @Override
  public byte[] sign(byte[] message) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(privateKey);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new EvidenceException("signing with the evidence log key failed", e);
    }
  }
}
