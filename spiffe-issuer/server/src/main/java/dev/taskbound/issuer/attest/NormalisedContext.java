package dev.taskbound.issuer.attest;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.taskbound.api.ApiJson;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the string-valued task context policy sees as {@code ci.*}. Absent or null claims leave their key
 * absent (rather than empty) so a policy cannot mistake "not stated" for "stated as empty".
 */
final class NormalisedContext {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, Object> claims;

  NormalisedContext(String platform, Map<String, Object> claims) {
    this.claims = claims;
    values.put("platform", platform);
  }

  /** Copies claim {@code name} under the same key. */
  NormalisedContext claim(String name) {
    return claim(name, name);
  }

  /** Copies claim {@code claimName} under {@code key}. */
  NormalisedContext claim(String key, String claimName) {
    return value(key, claims.get(claimName));
  }

  NormalisedContext value(String key, Object value) {
    String text = text(value);
    if (text != null) {
      values.put(key, text);
    }
    return this;
  }

  Map<String, String> build() {
    return Map.copyOf(values);
  }

  /** Strings as they are, numbers without exponent or trailing ".0", booleans as true/false, the rest as JSON. */
  static String text(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Boolean b) {
      return b.toString();
    }
    if (value instanceof Number n) {
      BigDecimal decimal = new BigDecimal(n.toString()).stripTrailingZeros();
      return decimal.scale() <= 0 ? decimal.toBigInteger().toString() : decimal.toPlainString();
    }
    try {
      return ApiJson.mapper().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new AttestationException("claim value cannot be rendered as text");
    }
  }
}
