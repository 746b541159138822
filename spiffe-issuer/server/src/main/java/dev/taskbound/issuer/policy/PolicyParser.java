package dev.taskbound.issuer.policy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.taskbound.issuer.ca.SpiffeId;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the policy YAML into rules, strictly: unknown or duplicate keys are errors, not silently ignored. */
final class PolicyParser {
  private static final Set<String> RULE_KEYS =
      Set.of("name", "when", "spiffe_id", "max_ttl", "audiences", "max_exchanges", "approval", "max_id_length");
  private static final Pattern DURATION = Pattern.compile("(?:(\\d{1,6})h)?(?:(\\d{1,6})m)?(?:(\\d{1,6})s)?");

  // A misspelt or repeated key in a security policy must fail loudly, so duplicates are rejected.
  private static final YAMLMapper YAML =
      YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  private PolicyParser() {}

  static List<PolicyRule> rules(byte[] yaml) throws InvalidPolicyException {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
      throw new InvalidPolicyException("not valid YAML" + where + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidPolicyException("not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject() || !root.has("rules")) {
      throw new InvalidPolicyException("the policy must be a mapping with a top-level 'rules' list");
    }
    Iterator<String> topKeys = root.fieldNames();
    while (topKeys.hasNext()) {
      String key = topKeys.next();
      if (!key.equals("rules")) {
        throw new InvalidPolicyException("unknown top-level key '" + key + "'");
      }
    }
    JsonNode list = root.get("rules");
    if (!list.isArray()) {
      throw new InvalidPolicyException("'rules' must be a list");
    }
    List<PolicyRule> rules = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      rules.add(rule(list.get(i), i));
    }
    return rules;
  }

  private static PolicyRule rule(JsonNode node, int index) throws InvalidPolicyException {
    String label = "rule #" + (index + 1);
    if (!node.isObject()) {
      throw new InvalidPolicyException(label + ": must be a mapping");
    }
    if (node.path("name").isTextual()) {
      label = "rule '" + node.get("name").asText() + "'";
    }
    try {
      Iterator<String> keys = node.fieldNames();
      while (keys.hasNext()) {
        String key = keys.next();
        if (!RULE_KEYS.contains(key)) {
          throw new IllegalArgumentException("unknown key '" + key + "'");
        }
      }
      return new PolicyRule(
          text(node, "name"),
          text(node, "when"),
          SpiffeIdTemplate.parse(text(node, "spiffe_id")),
          duration(text(node, "max_ttl")),
          audiences(node.get("audiences")),
          integer(node, "max_exchanges", 0),
          approval(node.get("approval")),
          integer(node, "max_id_length", SpiffeId.MAX_LENGTH));
    } catch (IllegalArgumentException e) {
      throw new InvalidPolicyException(label + ": " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode node, String key) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException(key + " is required");
    }
    if (!value.isTextual()) {
      throw new IllegalArgumentException(key + " must be a string");
    }
    return value.asText();
  }

  /** {@code approval: group}, or {@code approval: {group: …, min_approvers: 2, timeout: 30m}}. */
  private static ApprovalGate approval(JsonNode value) {
    if (value == null || value.isNull()) {
      return null;
    }
    if (value.isTextual()) {
      return ApprovalGate.of(value.asText());
    }
    if (!value.isObject()) {
      throw new IllegalArgumentException("approval must be a group name or a mapping with group, min_approvers, timeout");
    }
    Iterator<String> keys = value.fieldNames();
    while (keys.hasNext()) {
      String key = keys.next();
      if (!Set.of("group", "min_approvers", "timeout").contains(key)) {
        throw new IllegalArgumentException("approval: unknown key '" + key + "'");
      }
    }
    Duration timeout = value.has("timeout") ? duration(text(value, "timeout")) : ApprovalGate.DEFAULT_TIMEOUT;
    return new ApprovalGate(text(value, "group"), integer(value, "min_approvers", 1), timeout);
  }

  private static int integer(JsonNode node, String key, int absent) {
    JsonNode value = node.get(key);
    if (value == null) {
      return absent;
    }
    if (!value.isInt()) {
      throw new IllegalArgumentException(key + " must be an integer");
    }
    return value.intValue();
  }

  private static List<String> audiences(JsonNode value) {
    if (value == null) {
      return List.of();
    }
    if (!value.isArray()) {
      throw new IllegalArgumentException("audiences must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode audience : value) {
      if (!audience.isTextual()) {
        throw new IllegalArgumentException("audiences must be a list of strings");
      }
      out.add(audience.asText());
    }
    return out;
  }

  /** Durations as operators write them: {@code 90s}, {@code 15m}, {@code 1h}, {@code 1h30m}. */
  static Duration duration(String text) {
    Matcher m = DURATION.matcher(text);
    if (text.isEmpty() || !m.matches()) {
      throw new IllegalArgumentException("max_ttl must look like 1h, 15m, 90s or 1h30m");
    }
    return Duration.ofHours(number(m.group(1)))
        .plusMinutes(number(m.group(2)))
        .plusSeconds(number(m.group(3)));
  }

  private static long number(String digits) {
    return digits == null ? 0 : Long.parseLong(digits);
  }
}
