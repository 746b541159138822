package dev.taskbound.issuer.task;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.EvidenceRef;
import dev.taskbound.issuer.evidence.Event;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.Write;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns task lifecycle steps into evidence log entries (digests and identifiers, never credentials) and signs the
 * revocation receipt of an end. Each method returns only once its entries are durably committed (or, for a begin,
 * returns the write that commits them with the task); it throws {@link dev.taskbound.issuer.evidence.EvidenceException}
 * otherwise, and the caller then releases nothing.
 */
final class TaskEvidence {
  private final EvidenceLog log;
  private final Store store;

  TaskEvidence(EvidenceLog log, Store store) {
    this.log = log;
    this.store = store;
  }

  /** The write that logs a begin, for the store to run in the transaction that records the task. */
  Write<EvidenceLog.Appending> begun(TaskRecord task, String attestationSha256, List<CredentialRecord> credentials) {
    List<Event> events = new ArrayList<>(1 + credentials.size());
    events.add(
        Event.taskBegun(
            task.taskId(), task.createdAt(), task.spiffeId(), task.attestor(), attestationSha256, task.context(),
            task.policyVersion(), task.policyRule(), task.publicKeyThumbprint(), task.expiresAt()));
    credentials.forEach(c -> events.add(issued(task, c)));
    return log.appending(events);
  }

  /** The write that logs one approval event, for the store to run with the request's change. */
  Write<EvidenceLog.Appending> approval(Event event) {
    return log.appending(List.of(event));
  }

  /** The approval events of a task already in the log ({@link EvidenceLog#loggedApprovalEvents}). */
  Set<String> loggedApprovalEvents(String taskId) {
    return log.loggedApprovalEvents(taskId);
  }

  /** Appends {@code events} on their own, once durable. */
  void append(List<Event> events) {
    log.append(events);
  }

  static EvidenceRef ref(EvidenceLog.Appended appended) {
    return new EvidenceRef(appended.leafIndexes().get(0), appended.checkpoint());
  }

  EvidenceRef renewed(TaskRecord task, Instant at, List<CredentialRecord> credentials) {
    List<Event> events = new ArrayList<>();
    events.add(Event.taskRenewed(task.taskId(), at, task.expiresAt()));
    credentials.forEach(c -> events.add(issued(task, c)));
    return ref(log.append(events));
  }

  /**
   * Logs the end of {@code ended} and what it revoked, signs the receipt and keeps it with the task. Returns the
   * receipt in force: ours, or one another writer kept first.
   */
  JsonNode ended(TaskRecord ended, List<CredentialRecord> revoked) {
    List<Event> events = new ArrayList<>();
    events.add(Event.taskEnded(ended.taskId(), ended.endedAt(), ended.outcome().wire()));
    revoked.forEach(c -> events.add(revokedEvent(c)));
    // Revocations made before the end (RFC 7009 /revoke, an operator) whose own entry could not be written then: the
    // bundle must show every credential closed. A race with a late /revoke entry at worst logs one twice; the
    // bundle keeps the first.
    Set<String> logged = log.loggedRevocations(ended.taskId());
    for (CredentialRecord c : store.credentialsOf(ended.taskId())) {
      if (c.revokedAt() != null && c.revokedAt().isBefore(ended.endedAt()) && !logged.contains(c.kind().wire() + " " + c.credentialId())) {
        events.add(revokedEvent(c));
      }
    }
    EvidenceLog.Appended appended = log.append(events);
    byte[] receipt =
        log.receipt(
            ended.taskId(), ended.endedAt(), ended.outcome().wire(), revoked.stream().map(CredentialRecord::credentialId).toList(),
            appended.leafIndexes().get(0), appended.checkpoint());
    String json = new String(receipt, StandardCharsets.UTF_8);
    if (store.saveEndReceipt(ended.taskId(), json)) {
      return parse(json);
    }
    return parse(store.endReceipt(ended.taskId()).orElse(json));
  }

  /**
   * The end's evidence as one write for the store to run with the end ({@link Store#endTask(String,
   * dev.taskbound.issuer.store.TaskOutcome, String, Instant, Store.EndEvidence)}): {@code task.ended}, the revocations
   * the end made and any earlier one not yet logged; once the batch's checkpoint is signed, the receipt is signed
   * and kept with the task in the same transaction.
   */
  Write<EndLogged> ending(TaskRecord ended, List<CredentialRecord> credentials) {
    return Write.of(
        "log task end",
        c -> {
          List<Event> events = new ArrayList<>();
          events.add(Event.taskEnded(ended.taskId(), ended.endedAt(), ended.outcome().wire()));
          List<String> revokedIds = new ArrayList<>();
          List<CredentialRecord> earlier = new ArrayList<>();
          for (CredentialRecord cr : credentials) {
            if (ended.endedAt().equals(cr.revokedAt())) {
              events.add(revokedEvent(cr));
              revokedIds.add(cr.credentialId());
            } else if (cr.revokedAt() != null && cr.revokedAt().isBefore(ended.endedAt())) {
              earlier.add(cr);
            }
          }
          if (!earlier.isEmpty()) {
            // As in ended(): revocations made before the end whose own entry could not be written then.
            Set<String> logged = log.loggedRevocations(c, ended.taskId());
            earlier.stream().filter(cr -> !logged.contains(cr.kind().wire() + " " + cr.credentialId()))
                .forEach(cr -> events.add(revokedEvent(cr)));
          }
          EndLogged result = new EndLogged();
          log.appending(events, appended -> {
                String json =
                    new String(
                        log.receipt(ended.taskId(), ended.endedAt(), ended.outcome().wire(), revokedIds, appended),
                        StandardCharsets.UTF_8);
                return store.keepEndReceipt(ended.taskId(), json).andThen(kept -> {
                  if (kept == 1) {
                    result.receipt = json;
                  }
                });
              })
              .apply(c);
          return result;
        });
  }

  /** The receipt an {@link #ending} write kept; read only after its batch committed (empty: none was kept). */
  static final class EndLogged {
    private volatile String receipt;

    Optional<JsonNode> receipt() {
      return Optional.ofNullable(receipt).map(TaskEvidence::parse);
    }
  }

  private static Event revokedEvent(CredentialRecord c) {
    return Event.credentialRevoked(c.taskId(), c.revokedAt(), c.kind().wire(), c.credentialId(), c.expiresAt());
  }

  private static Event issued(TaskRecord task, CredentialRecord c) {
    return Event.credentialIssued(
        task.taskId(), c.notBefore(), c.kind().wire(), c.credentialId(), task.spiffeId(), c.audience(), c.notBefore(),
        c.expiresAt(), task.publicKeyThumbprint());
  }

  static JsonNode parse(String receipt) {
    try {
      return ApiJson.mapper().readTree(receipt);
    } catch (IOException e) {
      throw new UncheckedIOException("stored receipt does not parse", e);
    }
  }
}
