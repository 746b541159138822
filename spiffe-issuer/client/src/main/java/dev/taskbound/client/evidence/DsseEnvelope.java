package dev.taskbound.client.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A DSSE envelope (secure-systems-lab/dsse v1). Signatures cover the pre-authentication encoding
 * {@code PAE(type, body)}, never the base64 text, so the payload type is bound into every signature.
 */
public record DsseEnvelope(String payloadType, byte[] payload, List<Signature> signatures) {

  /** One signature and the id of the key that made it. */
  public record Signature(String keyId, byte[] sig) {
    public Signature {
      sig = sig.clone();
    }

    @Override
    public byte[] sig() {
      return sig.clone();
    }
  }

  public DsseEnvelope {
    payload = payload.clone();
    signatures = List.copyOf(signatures);
  }

  @Override
  public byte[] payload() {
    return payload.clone();
  }

  /** {@code "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body}, lengths in ASCII decimal bytes. */
  public static byte[] pae(String payloadType, byte[] payload) {
    byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(type);
    out.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /** The payload, if {@code key} signed it under {@code expectedType}; otherwise throws. */
  public byte[] openWith(NoteKey key, String expectedType) {
    if (!payloadType.equals(expectedType)) {
      throw new InvalidEvidenceException("envelope payload type is " + payloadType + ", expected " + expectedType);
    }
    // Key ids are hints elsewhere; here a foreign key id is itself an error, so the envelope has one spelling.
    for (Signature s : signatures) {
      if (!s.keyId().equals(key.keyId())) {
        throw new InvalidEvidenceException("envelope carries a signature by an unknown key id");
      }
    }
    byte[] message = pae(payloadType, payload);
    for (Signature s : signatures) {
      if (key.verify(message, s.sig)) {
        return payload.clone();
      }
    }
    throw new InvalidEvidenceException("envelope signature does not verify");
  }

  public ObjectNode toJson() {
    ObjectNode o = EvidenceJson.object();
    o.put("payload", StrictBase64.encode(payload));
    o.put("payloadType", payloadType);
    ArrayNode sigs = o.putArray("signatures");
    for (Signature s : signatures) {
      sigs.addObject().put("keyid", s.keyId()).put("sig", StrictBase64.encode(s.sig));
    }
    return o;
  }

  public static DsseEnvelope fromJson(JsonNode node) {
    EvidenceJson.exactObject(node, "envelope", "payload", "payloadType", "signatures");
    List<Signature> sigs = new ArrayList<>();
    for (JsonNode s : EvidenceJson.array(node, "signatures", "envelope")) {
      EvidenceJson.exactObject(s, "envelope signature", "keyid", "sig");
      sigs.add(new Signature(
          EvidenceJson.text(s, "keyid", "signature"),
          StrictBase64.decode(EvidenceJson.text(s, "sig", "signature"), "envelope signature")));
    }
    if (sigs.isEmpty()) {
      throw new InvalidEvidenceException("envelope has no signatures");
    }
    return new DsseEnvelope(
        EvidenceJson.text(node, "payloadType", "envelope"),
        StrictBase64.decode(EvidenceJson.text(node, "payload", "envelope"), "envelope payload"),
        sigs);
  }

  public byte[] toBytes() {
    return CanonicalJson.bytes(toJson());
  }

  public static DsseEnvelope parse(byte[] bytes) {
    return fromJson(EvidenceJson.parseCanonical(bytes, "envelope"));
  }
}
