package dev.taskbound.issuer.metrics;

import java.util.List;

/**
 * Every metric name and tag key of the issuer, in Micrometer's dotted form; Prometheus shows them with
 * underscores, counters with {@code _total}, timers with {@code _seconds}. Tag values come from closed sets: the
 * {@code OTHER} value stands for anything outside them.
 */
public final class MetricNames {
  private MetricNames() {}

  public static final String PREFIX = "taskbound.";

  // ---- task lifecycle ---------------------------------------------------------------------------------------
  /** Counter, tag {@link #ATTESTOR}. */
  public static final String TASKS_BEGUN = "taskbound.tasks.begun";
  /** Counter, tag {@link #OUTCOME}. */
  public static final String TASKS_ENDED = "taskbound.tasks.ended";
  /** Gauge: tasks active now. */
  public static final String TASKS_ACTIVE = "taskbound.tasks.active";
  /** Counter, tag {@link #KIND}. */
  public static final String CREDENTIALS_ISSUED = "taskbound.credentials.issued";
  /** Counter, tag {@link #KIND}: by a task's end or by a relying party (RFC 7009). */
  public static final String CREDENTIALS_REVOKED = "taskbound.credentials.revoked";
  /**
   * Gauge, tags {@link #KIND} and {@link #REVOKED}: credentials of ended tasks not yet expired. With
   * {@code revoked="false"} it should always be 0 (alert on it); with {@code "true"} it is the residual exposure
   * an offline verifier still accepts.
   */
  public static final String CREDENTIALS_VALID_AFTER_TASK_END = "taskbound.credentials.valid.after.task.end";
  /** Counter, tag {@link #REASON} (policy deny reasons). */
  public static final String POLICY_DENIES = "taskbound.policy.denies";
  /** Counter, tags {@link #ATTESTOR} and {@link #FAILURE}. */
  public static final String ATTESTATION_FAILURES = "taskbound.attestation.failures";

  // ---- HTTP -------------------------------------------------------------------------------------------------
  /** Timer with histogram, tags {@link #OPERATION} and {@link #STATUS} (the HTTP status code). */
  public static final String HTTP_REQUESTS = "taskbound.http.requests";
  /** Gauge: requests being served. */
  public static final String HTTP_ACTIVE_REQUESTS = "taskbound.http.active.requests";

  // ---- evidence, signals, store -----------------------------------------------------------------------------
  /** Timer with histogram, tag {@link #STATUS} ({@code ok} / {@code error}): queue wait plus commit. */
  public static final String EVIDENCE_APPEND = "taskbound.evidence.append";
  /** Gauge: appends queued, not yet committed. */
  public static final String EVIDENCE_QUEUE_DEPTH = "taskbound.evidence.queue.depth";
  /** Gauge: Shared Signals deliveries pending (queued or waiting to be retried). */
  public static final String SIGNALS_BACKLOG = "taskbound.signals.backlog";
  /** Timer, tags {@link #OPERATION} (a {@code Store} method name) and {@link #STATUS}. */
  public static final String STORE_CALLS = "taskbound.store.calls";

  // ---- the standing-privilege exception register ------------------------------------------------------------
  /**
   * Gauge, tag {@link #STATE} ({@code active}, {@code expiring}, {@code expired}, {@code unreviewed}): standing
   * exceptions not revoked, by where they stand now. {@code expired} and {@code unreviewed} should be 0.
   */
  public static final String STANDING_EXCEPTIONS = "taskbound.standing.exceptions";

  /** Every name above: what {@code docs/operations.md} lists and the pinning test checks. */
  public static final List<String> ALL =
      List.of(
          TASKS_BEGUN, TASKS_ENDED, TASKS_ACTIVE, CREDENTIALS_ISSUED, CREDENTIALS_REVOKED,
          CREDENTIALS_VALID_AFTER_TASK_END, POLICY_DENIES, ATTESTATION_FAILURES, HTTP_REQUESTS, HTTP_ACTIVE_REQUESTS,
          EVIDENCE_APPEND, EVIDENCE_QUEUE_DEPTH, SIGNALS_BACKLOG, STORE_CALLS, STANDING_EXCEPTIONS);

  // ---- tag keys ---------------------------------------------------------------------------------------------
  public static final String ATTESTOR = "attestor";
  public static final String OUTCOME = "outcome";
  public static final String KIND = "kind";
  public static final String REVOKED = "revoked";
  public static final String REASON = "reason";
  public static final String FAILURE = "failure";
  public static final String OPERATION = "operation";
  public static final String STATUS = "status";
  public static final String STATE = "state";

  /** Every tag key: the backstop filter caps each of them. */
  public static final List<String> TAG_KEYS = List.of(ATTESTOR, OUTCOME, KIND, REVOKED, REASON, FAILURE, OPERATION, STATUS, STATE);

  // ---- closed tag values ------------------------------------------------------------------------------------
  public static final String OTHER = "other";
  public static final String OK = "ok";
  public static final String ERROR = "error";
  /** {@link #STATUS} of a store call that threw {@code StoreException}. */
  public static final String STORE_ERROR = "store_error";

  /** {@link #OPERATION} values of {@link #HTTP_REQUESTS}. */
  public static final List<String> HTTP_OPERATIONS =
      List.of(
          "begin", "renew", "end", "view", "exchange", "introspect", "revoke", "evidence", "discovery", "admin",
          "metrics", "openapi", "ui", "health", OTHER);

  /** The most values one tag key may take on one name before new ones are dropped (cardinality backstop). */
  public static final int MAX_TAG_VALUES = 100;
}
