package dev.taskbound.client.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code end} returns, signed by the log key in a DSSE envelope: the task ended at this time with this
 * outcome, these credentials were revoked, and {@code task.ended} sits at this leaf of the tree the checkpoint
 * commits to.
 */
public record RevocationReceipt(
    String taskId, long endedAt, String outcome, List<String> revokedCredentialIds, long taskEndedLeafIndex, String checkpoint) {
  public RevocationReceipt {
    revokedCredentialIds = List.copyOf(revokedCredentialIds);
  }

  public byte[] toBytes() {
    ObjectNode o = EvidenceJson.object();
    o.put("task_id", taskId);
    o.put("ended_at", endedAt);
    o.put("outcome", outcome);
    ArrayNode revoked = o.putArray("revoked");
    revokedCredentialIds.forEach(revoked::add);
    o.put("task_ended_leaf_index", taskEndedLeafIndex);
    o.put("checkpoint", checkpoint);
    return CanonicalJson.bytes(o);
  }

  public static RevocationReceipt parse(byte[] bytes) {
    JsonNode o = EvidenceJson.parseCanonical(bytes, "receipt");
    EvidenceJson.exactObject(o, "receipt", "task_id", "ended_at", "outcome", "revoked", "task_ended_leaf_index", "checkpoint");
    List<String> revoked = new ArrayList<>();
    for (JsonNode r : EvidenceJson.array(o, "revoked", "receipt")) {
      if (!r.isTextual()) {
        throw new InvalidEvidenceException("receipt revoked id is not a string");
      }
      revoked.add(r.textValue());
    }
    return new RevocationReceipt(
        EvidenceJson.text(o, "task_id", "receipt"),
        EvidenceJson.integer(o, "ended_at", "receipt"),
        EvidenceJson.text(o, "outcome", "receipt"),
        revoked,
        EvidenceJson.integer(o, "task_ended_leaf_index", "receipt"),
        EvidenceJson.text(o, "checkpoint", "receipt"));
  }
}
