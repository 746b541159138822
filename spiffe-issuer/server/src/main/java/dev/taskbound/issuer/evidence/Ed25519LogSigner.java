package dev.taskbound.issuer.evidence;

import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.issuer.ca.Pem;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The log key in software: Ed25519, kept as one PEM file (PKCS#8 private key, then public key), mode 0600. */
public final class Ed25519LogSigner implements LogSigner {
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
        return new Ed25519LogSigner(name, read(Files.readString(file, StandardCharsets.US_ASCII)));
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
