package dev.taskbound.client.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A per-task evidence bundle as served and verified: the DSSE-signed statement, the signed checkpoint the proofs
 * are against, and one inclusion proof per entry, in the statement's entry order. Serialised as canonical JSON.
 */
public record EvidenceBundle(DsseEnvelope envelope, String checkpoint, List<InclusionProof> proofs) {
  public EvidenceBundle {
    proofs = List.copyOf(proofs);
  }

  public byte[] toBytes() {
    ObjectNode o = EvidenceJson.object();
    o.put("media_type", EvidenceFormat.BUNDLE_MEDIA_TYPE);
    o.set("envelope", envelope.toJson());
    o.put("checkpoint", checkpoint);
    ArrayNode ps = o.putArray("proofs");
    for (InclusionProof p : proofs) {
      ObjectNode po = ps.addObject();
      po.put("leaf_index", p.leafIndex());
      ArrayNode hs = po.putArray("hashes");
      p.hashes().forEach(h -> hs.add(StrictBase64.encode(h)));
    }
    return CanonicalJson.bytes(o);
  }

  public static EvidenceBundle parse(byte[] bytes) {
    JsonNode o = EvidenceJson.parseCanonical(bytes, "bundle");
    EvidenceJson.exactObject(o, "bundle", "media_type", "envelope", "checkpoint", "proofs");
    if (!EvidenceFormat.BUNDLE_MEDIA_TYPE.equals(EvidenceJson.text(o, "media_type", "bundle"))) {
      throw new InvalidEvidenceException("bundle media type is not " + EvidenceFormat.BUNDLE_MEDIA_TYPE);
    }
    List<InclusionProof> proofs = new ArrayList<>();
    for (JsonNode p : EvidenceJson.array(o, "proofs", "bundle")) {
      EvidenceJson.exactObject(p, "proof", "leaf_index", "hashes");
      List<byte[]> hashes = new ArrayList<>();
      for (JsonNode h : EvidenceJson.array(p, "hashes", "proof")) {
        if (!h.isTextual()) {
          throw new InvalidEvidenceException("proof hash is not a string");
        }
        hashes.add(StrictBase64.decode(h.textValue(), "proof hash"));
      }
      proofs.add(new InclusionProof(EvidenceJson.integer(p, "leaf_index", "proof"), hashes));
    }
    return new EvidenceBundle(
        DsseEnvelope.fromJson(o.get("envelope")), EvidenceJson.text(o, "checkpoint", "bundle"), proofs);
  }
}
