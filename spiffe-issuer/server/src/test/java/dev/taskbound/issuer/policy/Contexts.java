package dev.taskbound.issuer.policy;

import dev.taskbound.issuer.attest.AttestedIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Attested callers and policies the policy tests share. */
final class Contexts {
  static final String TD = "taskbound.test";
  static final PolicyRequest NO_AUDIENCES = new PolicyRequest(List.of(), null);

  private Contexts() {}

  static AttestedIdentity github(String repository, String ref) {
    return github(repository, ref, Map.of());
  }

  static AttestedIdentity github(String repository, String ref, Map<String, Object> claims) {
    Map<String, String> ci = new HashMap<>();
    ci.put("repository", repository);
    ci.put("ref", ref);
    ci.put("run_id", "4242");
    ci.put("run_attempt", "1");
    ci.put("job", "deploy");
    return new AttestedIdentity("github", ci, claims, "00");
  }

  static AttestedIdentity jenkins(String job) {
    return new AttestedIdentity(
        "jenkins", Map.of("controller", "ci-prod", "job", job, "build_number", "7"), Map.of(), "00");
  }

  static PolicyRequest audiences(String... audiences) {
    return new PolicyRequest(List.of(audiences), null);
  }

  static byte[] resource(String name) {
    try (InputStream in = Contexts.class.getResourceAsStream("/policy/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource policy/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Policy policy(String yaml) {
    try {
      return Policy.parse(yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (InvalidPolicyException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** One rule whose condition is {@code when}. */
  static Policy oneRule(String when) {
    return policy(
        "rules:\n"
            + "  - name: only\n"
            + "    when: \""
            + when.replace("\\", "\\\\").replace("\"", "\\\"")
            + "\"\n"
            + "    spiffe_id: \"spiffe://{trust_domain}/only/{ci.platform}\"\n"
            + "    max_ttl: 5m\n");
  }
}
