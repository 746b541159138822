package dev.taskbound.issuer.evidence;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.client.evidence.CanonicalJson;
import dev.taskbound.client.evidence.EvidenceFormat;
import dev.taskbound.client.evidence.EvidenceJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * The evidence events of the standing-privilege exception register: {@code exception.added},
 * {@code exception.reviewed}, {@code exception.revoked}. They concern no task (no {@code task_id}); each names the
 * exception and who changed it: {@code operator_issuer} (the admin IdP, {@code dev}, or {@code cli} for an operator
 * command), {@code operator} and {@code role}, as {@code operator.action} does.
 */
public final class ExceptionEvents {
  public static final String ADDED = "exception.added";
  public static final String REVIEWED = "exception.reviewed";
  public static final String REVOKED = "exception.revoked";
  public static final List<String> TYPES = List.of(ADDED, REVIEWED, REVOKED);
  public static final String EXCEPTION_ID = "exception_id";

  /** Who made a change: vouched for by {@code issuer}, named {@code name}, acting in {@code role}. */
  public record Actor(String issuer, String name, String role) {}

  private ExceptionEvents() {}

  public static Event added(
      String exceptionId, Instant at, Actor by, String identity, String scope, String owner, String reason,
      Instant expiresAt) {
    ObjectNode o = base(ADDED, exceptionId, at, by);
    o.put("identity", identity);
    o.put("scope", scope);
    o.put("owner", owner);
    o.put("reason", reason);
    o.put(EvidenceFormat.EXPIRES_AT, expiresAt.getEpochSecond());
    return of(o);
  }

  /** A review; {@code expiresAt} is the expiry after it, {@code previousExpiresAt} the one before (equal if kept). */
  public static Event reviewed(
      String exceptionId, Instant at, Actor by, String note, Instant previousExpiresAt, Instant expiresAt) {
    ObjectNode o = base(REVIEWED, exceptionId, at, by);
    o.put("note", note);
    o.put("previous_expires_at", previousExpiresAt.getEpochSecond());
    o.put(EvidenceFormat.EXPIRES_AT, expiresAt.getEpochSecond());
    return of(o);
  }

  public static Event revoked(String exceptionId, Instant at, Actor by, String reason) {
    ObjectNode o = base(REVOKED, exceptionId, at, by);
    o.put("reason", reason);
    return of(o);
  }

  /** An event kept as canonical JSON by an operator command, to append as it was built. */
  public static Event stored(String type, String entry) {
    if (!TYPES.contains(type)) {
      throw new IllegalArgumentException("not an exception event: " + type);
    }
    byte[] bytes = entry.getBytes(StandardCharsets.UTF_8);
    // Re-reading proves it is canonical JSON of that type: the log never takes anything else.
    if (!type.equals(EvidenceJson.parseCanonical(bytes, "stored exception event").path(EvidenceFormat.TYPE).asText())) {
      throw new IllegalArgumentException("stored entry is not of type " + type);
    }
    return new Event(type, null, bytes);
  }

  private static ObjectNode base(String type, String exceptionId, Instant at, Actor by) {
    ObjectNode o = EvidenceJson.object();
    o.put(EvidenceFormat.TYPE, type);
    o.put(EvidenceFormat.TIME, at.getEpochSecond());
    o.put(EXCEPTION_ID, required(exceptionId, EXCEPTION_ID));
    o.put("operator_issuer", required(by.issuer(), "operator_issuer"));
    o.put("operator", required(by.name(), "operator"));
    o.put("role", required(by.role(), "role"));
    return o;
  }

  private static Event of(ObjectNode o) {
    return new Event(o.get(EvidenceFormat.TYPE).textValue(), null, CanonicalJson.bytes(o));
  }

  private static String required(String value, String field) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(field + " is required");
    }
    return value;
  }
}
