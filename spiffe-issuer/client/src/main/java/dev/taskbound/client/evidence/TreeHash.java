package dev.taskbound.client.evidence;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * RFC 6962 §2.1 hashing: leaves and interior nodes carry different one-byte prefixes, so a leaf can never be
 * passed off as an interior node (second-preimage resistance).
 */
public final class TreeHash {
  /** Length of every hash in the log. */
  public static final int SIZE = 32;

  private static final byte LEAF_PREFIX = 0x00;
  private static final byte NODE_PREFIX = 0x01;

  private TreeHash() {}

  /** SHA-256(0x00 ‖ entry). */
  public static byte[] leaf(byte[] entry) {
    MessageDigest d = sha256();
    d.update(LEAF_PREFIX);
    d.update(entry);
    return d.digest();
  }

  /** SHA-256(0x01 ‖ left ‖ right). */
  public static byte[] node(byte[] left, byte[] right) {
    MessageDigest d = sha256();
    d.update(NODE_PREFIX);
    d.update(left);
    d.update(right);
    return d.digest();
  }

  /** The root of the empty tree: SHA-256 of the empty string. */
  public static byte[] empty() {
    return sha256().digest();
  }

  /** Plain SHA-256 (subject digests, key ids). */
  public static byte[] sha256(byte[] data) {
    return sha256().digest(data);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
