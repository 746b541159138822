package dev.taskbound.client.evidence;

import static dev.taskbound.client.evidence.EvidenceFormat.CREDENTIAL_ID;
import static dev.taskbound.client.evidence.EvidenceFormat.EXPIRES_AT;
import static dev.taskbound.client.evidence.EvidenceFormat.TIME;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The in-toto Statement v1 for one task, derived only from its log entries. The issuer builds it to sign; a
 * verifier rebuilds it from the entries and compares bytes, so the statement cannot say more than the log does.
 */
public record TaskStatement(
    String taskId, String logOrigin, List<LoggedEvent> entries, List<CredentialStatus> credentials, String outcome, Long endedAt) {

  public TaskStatement {
    entries = List.copyOf(entries);
    credentials = List.copyOf(credentials);
  }

  /** Derives the statement of task {@code taskId} from its entries in leaf order. */
  public static TaskStatement of(String taskId, String logOrigin, List<LoggedEvent> entries) {
    if (entries.isEmpty()) {
      throw new InvalidEvidenceException("task " + taskId + " has no entries");
    }
    long previous = -1;
    Map<String, CredentialStatus> credentials = new LinkedHashMap<>();
    Map<String, Long> revokedAt = new LinkedHashMap<>();
    String outcome = null;
    Long endedAt = null;
    for (LoggedEvent e : entries) {
      if (e.leafIndex() <= previous) {
        throw new InvalidEvidenceException("task entries are not in strictly increasing leaf order");
      }
      previous = e.leafIndex();
      JsonNode ev = e.event();
      if (!taskId.equals(EvidenceJson.optionalText(ev, EvidenceFormat.TASK_ID, "event"))) {
        throw new InvalidEvidenceException("entry " + e.leafIndex() + " belongs to another task");
      }
      switch (e.type()) {
        case EvidenceFormat.CREDENTIAL_ISSUED, EvidenceFormat.TOKEN_EXCHANGED -> {
          String kind = EvidenceJson.text(ev, EvidenceFormat.KIND, "event");
          String id = EvidenceJson.text(ev, CREDENTIAL_ID, "event");
          credentials.put(kind + " " + id, new CredentialStatus(
              kind,
              id,
              EvidenceJson.optionalText(ev, EvidenceFormat.SPIFFE_ID, "event"),
              EvidenceJson.optionalText(ev, EvidenceFormat.AUDIENCE, "event"),
              EvidenceJson.integer(ev, EvidenceFormat.NOT_BEFORE, "event"),
              EvidenceJson.integer(ev, EXPIRES_AT, "event"),
              null,
              null));
        }
        case EvidenceFormat.CREDENTIAL_REVOKED -> revokedAt.putIfAbsent(
            EvidenceJson.text(ev, EvidenceFormat.KIND, "event") + " " + EvidenceJson.text(ev, CREDENTIAL_ID, "event"),
            EvidenceJson.integer(ev, EvidenceFormat.REVOKED_AT, "event"));
        case EvidenceFormat.TASK_ENDED -> {
          if (endedAt == null) {
            endedAt = EvidenceJson.integer(ev, TIME, "event");
            outcome = EvidenceJson.text(ev, EvidenceFormat.OUTCOME, "event");
          }
        }
        default -> { }
      }
    }
    List<CredentialStatus> statuses = new ArrayList<>();
    for (var c : credentials.entrySet()) {
      CredentialStatus s = c.getValue();
      Long revoked = revokedAt.get(c.getKey());
      Long exposure = null;
      if (revoked != null) {
        exposure = CredentialStatus.residualExposureSeconds(s.expiresAt(), revoked);
      } else if (endedAt != null) {
        exposure = CredentialStatus.residualExposureSeconds(s.expiresAt(), endedAt);
      }
      statuses.add(new CredentialStatus(
          s.kind(), s.credentialId(), s.spiffeId(), s.audience(), s.notBefore(), s.expiresAt(), revoked, exposure));
    }
    return new TaskStatement(taskId, logOrigin, entries, statuses, outcome, endedAt);
  }

  /** The largest residual exposure of any credential, or null while some credential is still open. */
  public Long residualExposureSeconds() {
    long max = 0;
    for (CredentialStatus c : credentials) {
      if (c.residualExposureSeconds() == null) {
        return null;
      }
      max = Math.max(max, c.residualExposureSeconds());
    }
    return max;
  }

  /** The statement JSON: subject = the task, digest = SHA-256 of its first entry. */
  public ObjectNode toJson() {
    ObjectNode statement = EvidenceJson.object();
    statement.put("_type", EvidenceFormat.STATEMENT_TYPE);
    ObjectNode subject = statement.putArray("subject").addObject();
    subject.put("name", taskId);
    subject.putObject("digest").put("sha256", HexFormat.of().formatHex(TreeHash.sha256(entries.get(0).entryBytes())));
    statement.put("predicateType", EvidenceFormat.PREDICATE_TYPE);
    ObjectNode predicate = statement.putObject("predicate");
    predicate.put("task_id", taskId);
    predicate.put("log_origin", logOrigin);
    ArrayNode es = predicate.putArray("entries");
    for (LoggedEvent e : entries) {
      es.addObject().put("leaf_index", e.leafIndex()).set("event", e.event());
    }
    ArrayNode cs = predicate.putArray("credentials");
    credentials.forEach(c -> cs.add(c.toJson()));
    predicate.put("outcome", outcome);
    predicate.put("ended_at", endedAt);
    predicate.put(EvidenceFormat.RESIDUAL_EXPOSURE_SECONDS, residualExposureSeconds());
    return statement;
  }

  public byte[] toBytes() {
    return CanonicalJson.bytes(toJson());
  }

  /** Reads the task id, origin and entries out of a statement; the rest is re-derived by {@link #of}. */
  public static TaskStatement parse(byte[] bytes) {
    JsonNode st = EvidenceJson.parseCanonical(bytes, "statement");
    EvidenceJson.exactObject(st, "statement", "_type", "subject", "predicateType", "predicate");
    if (!EvidenceFormat.STATEMENT_TYPE.equals(EvidenceJson.text(st, "_type", "statement"))
        || !EvidenceFormat.PREDICATE_TYPE.equals(EvidenceJson.text(st, "predicateType", "statement"))) {
      throw new InvalidEvidenceException("not a Taskbound evidence statement");
    }
    JsonNode predicate = st.get("predicate");
    List<LoggedEvent> entries = new ArrayList<>();
    for (JsonNode e : EvidenceJson.array(predicate, "entries", "predicate")) {
      EvidenceJson.exactObject(e, "entry", "leaf_index", "event");
      if (!e.get("event").isObject()) {
        throw new InvalidEvidenceException("entry event is not an object");
      }
      entries.add(new LoggedEvent(EvidenceJson.integer(e, "leaf_index", "entry"), e.get("event")));
    }
    TaskStatement derived = of(
        EvidenceJson.text(predicate, "task_id", "predicate"), EvidenceJson.text(predicate, "log_origin", "predicate"), entries);
    if (!java.util.Arrays.equals(derived.toBytes(), bytes)) {
      throw new InvalidEvidenceException("statement does not match its entries");
    }
    return derived;
  }
}
