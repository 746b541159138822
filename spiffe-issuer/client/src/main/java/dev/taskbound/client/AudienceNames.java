package dev.taskbound.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Turns a JWT audience into a file-name part and an environment-variable suffix, both injectively: two different
 * audiences never share a file or a variable. Characters outside a small safe set become {@code _XX} (the UTF-8
 * byte in upper-case hex), and {@code _} itself is escaped, so every name decodes back to one audience.
 */
public final class AudienceNames {
  // Long names would break the 255-byte file-name limit; the "_h" prefix never arises from escaping ('h' is not hex).
  private static final int MAX_FILE_PART = 180;

  private AudienceNames() {}

  /**
   * The token file for {@code audience}: {@code jwt_svid.<part>.token}, where {@code part} keeps
   * {@code [A-Za-z0-9.-]} and escapes the rest, e.g. {@code https://vault.example} →
   * {@code jwt_svid.https_3A_2F_2Fvault.example.token}.
   */
  public static String tokenFile(String audience) {
    return "jwt_svid." + filePart(audience) + ".token";
  }

  /**
   * The file of the downstream token exchanged for {@code audience}: {@code downstream.<part>.token}, the same
   * escaping as {@link #tokenFile}, e.g. {@code sts.amazonaws.com} → {@code downstream.sts.amazonaws.com.token}.
   */
  public static String downstreamFile(String audience) {
    return "downstream." + filePart(audience) + ".token";
  }

  private static String filePart(String audience) {
    String part = escape(audience, true);
    return part.length() > MAX_FILE_PART ? "_h" + sha256Hex(audience) : part;
  }

  /**
   * The environment-variable suffix for {@code audience}: lower-case letters become upper-case, digits stay, every
   * other byte (upper-case letters included, to keep it injective) becomes {@code _XX}, e.g.
   * {@code sts.amazonaws.com} → {@code STS_2EAMAZONAWS_2ECOM}.
   */
  public static String envSuffix(String audience) {
    return escape(audience, false);
  }

  private static String escape(String audience, boolean fileName) {
    StringBuilder out = new StringBuilder();
    for (byte b : audience.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      boolean keep =
          fileName
              ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
              : (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (keep) {
        out.append(fileName ? c : Character.toUpperCase(c));
      } else {
        out.append('_').append(String.format(Locale.ROOT, "%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  private static String sha256Hex(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
