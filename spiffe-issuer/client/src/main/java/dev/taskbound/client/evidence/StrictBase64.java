package dev.taskbound.client.evidence;

import java.util.Base64;

/**
 * Standard padded base64 that accepts exactly one spelling per byte string. The JDK decoder ignores the unused
 * low bits of the last character, so two different texts could decode alike; signed evidence must not have that.
 */
public final class StrictBase64 {
  private StrictBase64() {}

  public static String encode(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  public static byte[] decode(String text, String what) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidEvidenceException(what + " is not base64");
    }
    if (!encode(bytes).equals(text)) {
      throw new InvalidEvidenceException(what + " is not canonical base64");
    }
    return bytes;
  }
}
