package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.store.ExchangeGrant;
import dev.taskbound.issuer.store.TaskRecord;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** A task as the exchange last loaded it, with its grant (null: it may not exchange). */
record TaskSnapshot(TaskRecord task, ExchangeGrant grant, Instant loadedAt) {
  boolean activeAt(Instant now) {
    return task.active() && now.isBefore(task.expiresAt());
  }

  /** The task facts downstream tokens carry, as JWT-SVIDs carry them. */
  Map<String, Object> facts() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("task_id", task.taskId());
    facts.putAll(task.context());
    return facts;
  }
}
