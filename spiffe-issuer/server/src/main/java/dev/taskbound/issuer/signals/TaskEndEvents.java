package dev.taskbound.issuer.signals;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.TaskRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CAEP events one task end raises: a {@code credential-change} (revoke) per credential the end revoked, then
 * one {@code session-revoked} for the task. One event per SET, as SSF 1.0 requires.
 */
final class TaskEndEvents {
  static final String CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change";
  static final String SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";

  /** One event: its type URI and its payload. */
  record Event(String type, Map<String, Object> payload) {}

  private TaskEndEvents() {}

  static List<Event> of(TaskRecord task, List<CredentialRecord> revoked) {
    long at = task.endedAt().getEpochSecond();
    String initiator = initiatingEntity(task.outcome());
    Map<String, Object> reason = Map.of("en", "task ended: " + task.outcome().wire());
    List<Event> events = new ArrayList<>();
    for (CredentialRecord c : revoked) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("credential_type", c.kind() == CredentialKind.X509_SVID ? "x509" : "jwt");
      p.put("change_type", "revoke");
      p.put("friendly_name", c.kind().wire() + " " + c.credentialId());
      if (c.kind() == CredentialKind.X509_SVID) {
        p.put("x509_serial", c.credentialId());
      }
      p.put("event_timestamp", c.revokedAt().getEpochSecond());
      p.put("initiating_entity", initiator);
      p.put("reason_admin", reason);
      events.add(new Event(CREDENTIAL_CHANGE, p));
    }
    Map<String, Object> session = new LinkedHashMap<>();
    session.put("event_timestamp", at);
    session.put("initiating_entity", initiator);
    session.put("reason_admin", reason);
    events.add(new Event(SESSION_REVOKED, session));
    return events;
  }

  /**
   * The subject of every event: the workload (SPIFFE ID) and its session (the task), as an SSF complex subject.
   */
  static Map<String, Object> subject(TaskRecord task) {
    Map<String, Object> sub = new LinkedHashMap<>();
    sub.put("format", "complex");
    sub.put("application", Map.of("format", "uri", "uri", task.spiffeId()));
    sub.put("session", Map.of("format", "opaque", "id", task.taskId()));
    return sub;
  }

  private static String initiatingEntity(TaskOutcome outcome) {
    return switch (outcome) {
      case ABANDONED, EXPIRED -> "system";
      case REVOKED -> "admin";
      default -> "user";
    };
  }
}
