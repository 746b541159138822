package dev.taskbound.client.evidence;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A signed-note verifier key (C2SP signed-note): a name, the 4-byte key hash that tags its signature lines, and an
 * Ed25519 public key. Its text form {@code name+hash+base64(0x01 ‖ key)} is what an outsider needs to verify.
 * The algorithm is bound to the key: nothing read from a note or envelope selects it.
 */
public final class NoteKey {
  /** The signed-note algorithm byte for Ed25519. */
  public static final byte ALG_ED25519 = 0x01;

  // DER SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410); the raw 32-byte key follows it.
  private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
  private static final int ED25519_KEY_SIZE = 32;

  private final String name;
  private final byte[] rawKey;
  private final byte[] keyHash;
  private final PublicKey publicKey;

  private NoteKey(String name, byte[] rawKey) {
    if (!validName(name)) {
      throw new InvalidEvidenceException("key name must be non-empty, without spaces or '+'");
    }
    if (rawKey.length != ED25519_KEY_SIZE) {
      throw new InvalidEvidenceException("an Ed25519 public key is 32 bytes");
    }
    this.name = name;
    this.rawKey = rawKey.clone();
    this.keyHash = Arrays.copyOf(TreeHash.sha256(concat(name.getBytes(StandardCharsets.UTF_8), new byte[] {'\n'}, keyData())), 4);
    try {
      byte[] spki = concat(ED25519_SPKI_PREFIX, rawKey);
      this.publicKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new InvalidEvidenceException("not an Ed25519 public key", e);
    }
  }

  /** The key named {@code name} for an Ed25519 public key. */
  public static NoteKey ed25519(String name, PublicKey key) {
    byte[] spki = key.getEncoded();
    if (spki == null
        || spki.length != ED25519_SPKI_PREFIX.length + ED25519_KEY_SIZE
        || !Arrays.equals(spki, 0, ED25519_SPKI_PREFIX.length, ED25519_SPKI_PREFIX, 0, ED25519_SPKI_PREFIX.length)) {
      throw new InvalidEvidenceException("not an Ed25519 public key");
    }
    return new NoteKey(name, Arrays.copyOfRange(spki, ED25519_SPKI_PREFIX.length, spki.length));
  }

  /** Parses a verifier key {@code name+hash+base64(0x01 ‖ key)}, checking that the hash matches. */
  public static NoteKey parse(String verifierKey) {
    // The key data is base64 and may itself contain '+': split at the first two only.
    String text = verifierKey.strip();
    int first = text.indexOf('+');
    int second = first < 0 ? -1 : text.indexOf('+', first + 1);
    String[] parts = second < 0
        ? new String[0]
        : new String[] {text.substring(0, first), text.substring(first + 1, second), text.substring(second + 1)};
    if (parts.length != 3 || !parts[1].matches("[0-9a-f]{8}")) {
      throw new InvalidEvidenceException("verifier key is not name+hash+key");
    }
    byte[] data = StrictBase64.decode(parts[2], "verifier key");
    if (data.length != 1 + ED25519_KEY_SIZE || data[0] != ALG_ED25519) {
      throw new InvalidEvidenceException("verifier key is not an Ed25519 signed-note key");
    }
    NoteKey key = new NoteKey(parts[0], Arrays.copyOfRange(data, 1, data.length));
    if (!HexFormat.of().formatHex(key.keyHash).equals(parts[1])) {
      throw new InvalidEvidenceException("verifier key hash does not match its name and key");
    }
    return key;
  }

  public String name() {
    return name;
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  /** The 4-byte key hash that prefixes this key's signatures. */
  public byte[] keyHash() {
    return keyHash.clone();
  }

  /** {@code name+hash+base64(0x01 ‖ key)}. */
  public String verifierKey() {
    return name + "+" + HexFormat.of().formatHex(keyHash) + "+" + StrictBase64.encode(keyData());
  }

  /** The DSSE {@code keyid}: hex SHA-256 of the raw public key. */
  public String keyId() {
    return HexFormat.of().formatHex(TreeHash.sha256(rawKey));
  }

  /** True when {@code signature} is this key's Ed25519 signature over {@code message}. */
  public boolean verify(byte[] message, byte[] signature) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(publicKey);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static boolean validName(String name) {
    return name != null && !name.isEmpty() && name.chars().noneMatch(c -> c == '+' || Character.isWhitespace(c));
  }

  private byte[] keyData() {
    return concat(new byte[] {ALG_ED25519}, rawKey);
  }

  private static byte[] concat(byte[]... parts) {
    ByteBuffer b = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NoteKey k && k.name.equals(name) && Arrays.equals(k.rawKey, rawKey);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(rawKey);
  }

  @Override
  public String toString() {
    return verifierKey();
  }
}
