package dev.taskbound.client.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A consistency proof between two tree sizes as {@code GET /evidence/proof/consistency} serves it:
 * {@code {from, to, proof: [base64…], checkpoint?}}. Unsigned: it proves nothing until checked against two
 * checkpoints signed by the log key ({@link EvidenceVerifier#checkConsistency}).
 *
 * @param checkpoint the log's signed checkpoint for {@code to}, when it signed one for exactly that size; else null
 */
public record ConsistencyProof(long from, long to, List<byte[]> hashes, String checkpoint) {
  public ConsistencyProof {
    hashes = hashes.stream().map(byte[]::clone).toList();
  }

  @Override
  public List<byte[]> hashes() {
    return hashes.stream().map(byte[]::clone).toList();
  }

  public static ConsistencyProof parse(byte[] json) {
    JsonNode o;
    try {
      o = ApiJson.mapper().readTree(json);
    } catch (IOException e) {
      throw new InvalidEvidenceException("consistency proof is not JSON");
    }
    if (o == null || !o.isObject() || !o.path("from").canConvertToExactIntegral() || !o.path("to").canConvertToExactIntegral()
        || !o.path("proof").isArray()) {
      throw new InvalidEvidenceException("consistency proof needs integer from and to and a proof array");
    }
    List<byte[]> hashes = new ArrayList<>();
    for (JsonNode h : o.get("proof")) {
      if (!h.isTextual()) {
        throw new InvalidEvidenceException("consistency proof hash is not a string");
      }
      hashes.add(StrictBase64.decode(h.textValue(), "consistency proof hash"));
    }
    JsonNode c = o.get("checkpoint");
    return new ConsistencyProof(o.get("from").asLong(), o.get("to").asLong(), hashes, c != null && c.isTextual() ? c.textValue() : null);
  }
}
