package dev.taskbound.issuer.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.attest.AttestedIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs one decision offline, for {@code taskbound-issuer policy test}: a policy file and a context file
 * {@code {"platform": "...", "ci": {...}, "claims": {...}, "request": {"audiences": [...], "ttl_seconds": N}}}
 * (see docs/policy.md), through the same engine the issuer uses.
 */
public final class PolicyTester {
  private static final Set<String> CONTEXT_KEYS = Set.of("platform", "ci", "claims", "request");
  private static final Set<String> REQUEST_KEYS = Set.of("audiences", "ttl_seconds");

  private final String trustDomain;

  public PolicyTester(String trustDomain) {
    this.trustDomain = trustDomain;
  }

  /**
   * @throws IOException if a file cannot be read
   * @throws InvalidPolicyException if the policy is invalid
   * @throws IllegalArgumentException if the context file is not as documented, or the trust domain is invalid
   */
  public PolicyTestResult test(Path policyFile, Path contextFile) throws IOException, InvalidPolicyException {
    Policy policy = Policy.parse(Files.readAllBytes(policyFile));
    byte[] context = Files.readAllBytes(contextFile);
    CelPolicyEngine engine = CelPolicyEngine.of(trustDomain, policy);
    JsonNode root;
    try {
      root = ApiJson.mapper().readTree(context);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("context is not valid JSON: " + e.getOriginalMessage(), e);
    }
    return PolicyTestResult.of(engine.decide(identity(root), request(root)));
  }

  private static AttestedIdentity identity(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("context must be a JSON object");
    }
    onlyKeys(root, CONTEXT_KEYS, "context");
    JsonNode platform = root.get("platform");
    if (platform == null || !platform.isTextual()) {
      throw new IllegalArgumentException("context.platform must be a string");
    }
    Map<String, String> ci = new HashMap<>();
    JsonNode ciNode = objectOrEmpty(root, "ci");
    for (Map.Entry<String, JsonNode> entry : ciNode.properties()) {
      if (!entry.getValue().isTextual()) {
        throw new IllegalArgumentException("context.ci." + entry.getKey() + " must be a string");
      }
      ci.put(entry.getKey(), entry.getValue().asText());
    }
    Map<String, Object> claims = new HashMap<>();
    for (Map.Entry<String, JsonNode> entry : objectOrEmpty(root, "claims").properties()) {
      if (!entry.getValue().isNull()) { // a null claim is as good as an absent one, and Map.copyOf refuses nulls
        claims.put(entry.getKey(), ApiJson.mapper().convertValue(entry.getValue(), Object.class));
      }
    }
    return new AttestedIdentity(platform.asText(), ci, claims, null);
  }

  private static PolicyRequest request(JsonNode root) {
    JsonNode request = objectOrEmpty(root, "request");
    onlyKeys(request, REQUEST_KEYS, "context.request");
    List<String> audiences = new ArrayList<>();
    JsonNode list = request.get("audiences");
    if (list != null) {
      if (!list.isArray()) {
        throw new IllegalArgumentException("context.request.audiences must be a list of strings");
      }
      for (JsonNode audience : list) {
        if (!audience.isTextual()) {
          throw new IllegalArgumentException("context.request.audiences must be a list of strings");
        }
        audiences.add(audience.asText());
      }
    }
    JsonNode ttl = request.get("ttl_seconds");
    if (ttl != null && !(ttl.canConvertToLong() && ttl.isIntegralNumber() && ttl.longValue() >= 0)) {
      throw new IllegalArgumentException("context.request.ttl_seconds must be a non-negative integer");
    }
    Duration duration = ttl == null || ttl.longValue() == 0 ? null : Duration.ofSeconds(ttl.longValue());
    return new PolicyRequest(audiences, duration);
  }

  private static JsonNode objectOrEmpty(JsonNode parent, String key) {
    JsonNode node = parent.get(key);
    if (node == null) {
      return ApiJson.mapper().createObjectNode();
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException("context." + key + " must be a JSON object");
    }
    return node;
  }

  private static void onlyKeys(JsonNode node, Set<String> allowed, String where) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(where + " has an unknown key '" + key + "'");
      }
    }
  }
}
