package dev.taskbound.client.evidence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * Strict reading of evidence documents: duplicate keys and trailing data are errors, every document must be in
 * RFC 8785 canonical form (so any change to its bytes changes its meaning or fails), and objects are read field
 * by field with unknown fields rejected.
 */
public final class EvidenceJson {
  private static final ObjectMapper READER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
          .build();

  private EvidenceJson() {}

  public static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  /** Parses {@code bytes}, requiring them to be the canonical form of what they hold. */
  public static JsonNode parseCanonical(byte[] bytes, String what) {
    JsonNode node;
    try {
      node = READER.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new InvalidEvidenceException(what + " is not valid JSON");
    } catch (IOException e) {
      throw new InvalidEvidenceException(what + " cannot be read", e);
    }
    if (node == null || node.isMissingNode()) {
      throw new InvalidEvidenceException(what + " is empty");
    }
    byte[] canonical;
    try {
      canonical = CanonicalJson.bytes(node);
    } catch (IllegalArgumentException e) {
      throw new InvalidEvidenceException(what + ": " + e.getMessage());
    }
    if (!Arrays.equals(canonical, bytes)) {
      throw new InvalidEvidenceException(what + " is not canonical JSON (RFC 8785)");
    }
    return node;
  }

  /** {@code node} as an object holding exactly {@code fields}. */
  public static JsonNode exactObject(JsonNode node, String what, String... fields) {
    if (node == null || !node.isObject()) {
      throw new InvalidEvidenceException(what + " is not an object");
    }
    Set<String> expected = new HashSet<>(Arrays.asList(fields));
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!expected.contains(name)) {
        throw new InvalidEvidenceException(what + " has unknown field " + name);
      }
    }
    for (String f : fields) {
      if (!node.has(f)) {
        throw new InvalidEvidenceException(what + " lacks field " + f);
      }
    }
    return node;
  }

  public static String text(JsonNode node, String field, String what) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new InvalidEvidenceException(what + "." + field + " is not a string");
    }
    return v.textValue();
  }

  public static long integer(JsonNode node, String field, String what) {
    JsonNode v = node.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new InvalidEvidenceException(what + "." + field + " is not an integer");
    }
    return v.longValue();
  }

  /** An optional integer: absent or null reads as null. */
  public static Long optionalInteger(JsonNode node, String field, String what) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : integer(node, field, what);
  }

  public static String optionalText(JsonNode node, String field, String what) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : text(node, field, what);
  }

  public static JsonNode array(JsonNode node, String field, String what) {
    JsonNode v = node.get(field);
    if (v == null || !v.isArray()) {
      throw new InvalidEvidenceException(what + "." + field + " is not an array");
    }
    return v;
  }
}
