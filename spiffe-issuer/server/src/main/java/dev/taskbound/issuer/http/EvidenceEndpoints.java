package dev.taskbound.issuer.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.task.TaskException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The public evidence endpoints: the newest signed checkpoint, the log's verifier key, a task's evidence bundle,
 * and consistency proofs between two tree sizes. All of it is verifiable offline with the verifier key alone.
 */
public final class EvidenceEndpoints {
  private static final Pattern TASK_ID = Pattern.compile("tsk_[a-z2-7]{26}");
  private static final String TEXT = "text/plain";

  private EvidenceEndpoints() {}

  public static List<HttpEndpoint> of(EvidenceLog log) {
    return List.of(
        HttpEndpoint.get("/evidence/checkpoint", r -> text(log.checkpoint())),
        HttpEndpoint.get("/evidence/key", r -> text(log.verifierKey().verifierKey() + "\n")),
        HttpEndpoint.get("/evidence/tasks/", r -> bundle(log, r.path().substring("/evidence/tasks/".length()))),
        HttpEndpoint.get("/evidence/proof/consistency", r -> consistency(log, r.query())));
  }

  private static HttpReply bundle(EvidenceLog log, String taskId) {
    if (!TASK_ID.matcher(taskId).matches()) {
      throw new TaskException(ProblemType.NOT_FOUND, "no evidence for that task id");
    }
    return log.bundle(taskId)
        .map(b -> HttpReply.json(200, b))
        .orElseThrow(() -> new TaskException(ProblemType.NOT_FOUND, "no evidence for task " + taskId));
  }

  private static HttpReply consistency(EvidenceLog log, Map<String, List<String>> query) {
    long from = number(query, "from");
    long to = number(query, "to");
    List<byte[]> proof;
    try {
      proof = log.consistencyProof(from, to);
    } catch (IllegalArgumentException e) {
      throw new TaskException(ProblemType.MALFORMED_REQUEST, e.getMessage());
    }
    ObjectNode out = ApiJson.mapper().createObjectNode();
    out.put("from", from);
    out.put("to", to);
    ArrayNode hashes = out.putArray("proof");
    proof.forEach(h -> hashes.add(Base64.getEncoder().encodeToString(h)));
    log.checkpointAt(to).ifPresent(c -> out.put("checkpoint", c));
    return HttpReply.json(200, out.toString());
  }

  private static long number(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    if (values == null || values.size() != 1 || !values.get(0).matches("\\d{1,18}")) {
      throw new TaskException(ProblemType.MALFORMED_REQUEST, "query parameter " + name + " must be one non-negative integer");
    }
    return Long.parseLong(values.get(0));
  }

  private static HttpReply text(String body) {
    return new HttpReply(200, TEXT, body.getBytes(StandardCharsets.UTF_8), Map.of());
  }
}
