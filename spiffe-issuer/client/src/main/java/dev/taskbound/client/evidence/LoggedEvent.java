package dev.taskbound.client.evidence;

import com.fasterxml.jackson.databind.JsonNode;

/** One log entry: an event (canonical JSON) and its leaf index. */
public record LoggedEvent(long leafIndex, JsonNode event) {
  /** The entry bytes that were hashed into the log. */
  public byte[] entryBytes() {
    return CanonicalJson.bytes(event);
  }

  public String type() {
    return EvidenceJson.text(event, EvidenceFormat.TYPE, "event");
  }
}
