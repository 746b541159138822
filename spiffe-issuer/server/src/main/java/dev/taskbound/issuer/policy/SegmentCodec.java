package dev.taskbound.issuer.policy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Encodes any string into one SPIFFE ID path segment ({@code [A-Za-z0-9._-]+}, never {@code .} or {@code ..}),
 * injectively: {@code [A-Za-z0-9.-]} stay as they are; {@code _} and every other UTF-8 byte become {@code _XX}
 * (upper-case hex); the empty string becomes {@code _}; a value of only dots ({@code .}, {@code ..}) has each dot
 * escaped as {@code _2E}. {@link #decode} inverts it and rejects every non-canonical form, so the two are a
 * bijection between strings and valid encodings.
 */
public final class SegmentCodec {
  private static final char ESCAPE = '_';
  private static final String EMPTY = "_";
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private SegmentCodec() {}

  /**
   * @throws IllegalArgumentException if the value is not well-formed Unicode (an unpaired surrogate): Java would
   *     otherwise replace it with {@code ?} and two different values could share an ID
   */
  public static String encode(String value) {
    if (value.isEmpty()) {
      return EMPTY;
    }
    byte[] utf8 = strictUtf8(value);
    boolean onlyDots = value.equals(".") || value.equals("..");
    StringBuilder out = new StringBuilder(utf8.length + 8);
    for (byte b : utf8) {
      int c = b & 0xFF;
      if (isKept(c) && !(onlyDots && c == '.')) {
        out.append((char) c);
      } else {
        out.append(ESCAPE).append(HEX[c >>> 4]).append(HEX[c & 0xF]);
      }
    }
    return out.toString();
  }

  /**
   * Inverts {@link #encode}.
   *
   * @throws IllegalArgumentException if {@code segment} is not exactly what {@code encode} produces for some value
   */
  public static String decode(String segment) {
    if (segment.equals(EMPTY)) {
      return "";
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == ESCAPE) {
        if (i + 2 >= segment.length()) {
          throw new IllegalArgumentException("truncated escape in segment");
        }
        bytes.write(hexValue(segment.charAt(i + 1)) << 4 | hexValue(segment.charAt(i + 2)));
        i += 2;
      } else if (isKept(c)) {
        bytes.write(c);
      } else {
        throw new IllegalArgumentException("character not allowed in an encoded segment");
      }
    }
    String value;
    try {
      value =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes.toByteArray()))
              .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("escapes do not form UTF-8", e);
    }
    // Only the canonical form decodes: e.g. "_41" (an escaped 'A') or "_2E" inside "a.b" are rejected.
    if (!encode(value).equals(segment)) {
      throw new IllegalArgumentException("segment is not in canonical encoding");
    }
    return value;
  }

  private static boolean isKept(int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    throw new IllegalArgumentException("escape must be two upper-case hex digits");
  }

  private static byte[] strictUtf8(String value) {
    try {
      ByteBuffer buffer =
          StandardCharsets.UTF_8
              .newEncoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .encode(CharBuffer.wrap(value));
      byte[] out = new byte[buffer.remaining()];
      buffer.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("value is not well-formed Unicode (unpaired surrogate)", e);
    }
  }
}
