package dev.taskbound.issuer.policy;

import dev.cel.common.values.NullValue;
import dev.taskbound.issuer.attest.AttestedIdentity;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The variables a condition sees: {@code ci} (the normalised context plus {@code ci.platform}), {@code claims}
 * (the raw verified claims, as their JSON shapes) and {@code request} ({@code audiences}, {@code ttl_seconds}).
 */
final class ConditionInput {
  static final String CI = "ci";
  static final String CLAIMS = "claims";
  static final String REQUEST = "request";

  private ConditionInput() {}

  /** The {@code ci} map: the attested context, with {@code platform} taken from the attestor that verified it. */
  static Map<String, String> ci(AttestedIdentity who) {
    Map<String, String> ci = new HashMap<>(who.context());
    ci.put("platform", who.platform());
    return Map.copyOf(ci);
  }

  static Map<String, Object> of(AttestedIdentity who, Map<String, String> ci, PolicyRequest request) {
    Map<String, Object> req = new HashMap<>();
    req.put("audiences", request.audiences());
    // 0 = the caller asked for no particular lifetime (the issuer's default applies, capped by max_ttl).
    req.put("ttl_seconds", request.ttl() == null ? 0L : request.ttl().toSeconds());
    return Map.of(CI, ci, CLAIMS, celValue(who.claims()), REQUEST, req);
  }

  /**
   * Maps claim values to what CEL evaluates: whole numbers to {@code int} (Long), fractions to {@code double},
   * dates (as JOSE libraries hand out {@code exp}/{@code iat}) back to their JSON form, epoch seconds.
   */
  private static Object celValue(Object value) {
    if (value == null) {
      return NullValue.NULL_VALUE;
    }
    if (value instanceof String || value instanceof Boolean || value instanceof Long || value instanceof Double) {
      return value;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Float f) {
      return f.doubleValue();
    }
    if (value instanceof BigInteger big) {
      return big.bitLength() < 64 ? (Object) big.longValue() : (Object) big.doubleValue();
    }
    if (value instanceof BigDecimal decimal) {
      return decimal.stripTrailingZeros().scale() <= 0 ? celValue(decimal.toBigInteger()) : decimal.doubleValue();
    }
    if (value instanceof Date date) {
      return date.toInstant().getEpochSecond();
    }
    if (value instanceof Instant instant) {
      return instant.getEpochSecond();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), celValue(v)));
      return out;
    }
    if (value instanceof Iterable<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(celValue(v)));
      return out;
    }
    return value.toString();
  }
}
