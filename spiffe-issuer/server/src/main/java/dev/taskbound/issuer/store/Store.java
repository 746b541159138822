package dev.taskbound.issuer.store;

import dev.taskbound.api.TaskOutcome;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Durable state of the issuer: tasks, their credentials, the public half of the trust bundle, one-time tokens and
 * the replay cache. One interface; SQLite and PostgreSQL behind it with the same migrations. Every method is one
 * transaction; every write is committed by the store's one {@link StoreWriter}, batched with concurrent writes. Private keys never enter the store (they live with the {@code KeyManager}). Instants are kept to
 * the millisecond. Anything with an {@code expiresAt} counts as expired from that instant on ({@code now >=
 * expiresAt}).
 */
public interface Store extends AutoCloseable {

  // ---- tasks ---------------------------------------------------------------------------------------------

  /** Inserts a new active task with its first credentials, atomically. */
  void insertTask(TaskRecord task, List<CredentialRecord> credentials);

  Optional<TaskRecord> findTask(String taskId);

  /** Most recent first. {@code state} null means any state. */
  List<TaskRecord> listTasks(TaskState state, int limit);

  /**
   * Records a renewal: sets {@code last_renewed_at} and adds the new credentials, only if the task is still
   * active. Returns false (and changes nothing) when the task is not active.
   */
  boolean recordRenewal(String taskId, Instant renewedAt, List<CredentialRecord> credentials);

  /**
   * Ends an active task and revokes, in the same transaction, every credential of it not yet revoked
   * ({@code revoked_at = endedAt}). Returns the task as it is afterwards. A task already ended is returned
   * unchanged (idempotent end). Empty when the task does not exist.
   */
  Optional<TaskRecord> endTask(String taskId, TaskOutcome outcome, String reason, Instant endedAt);

  /**
   * As {@link #endTask(String, TaskOutcome, String, Instant)}, in one write with what the end needs next: the task's
   * credentials as they are afterwards and, only when this call ended the task, the write {@code alongside} makes of
   * them (the end's evidence), run in the same transaction — the end and its evidence commit together or not at all.
   * Empty when the task does not exist.
   */
  <T> Optional<Ending<T>> endTask(
      String taskId, TaskOutcome outcome, String reason, Instant endedAt, EndEvidence<T> alongside);

  /** The write that goes with an end this call made, given the ended task and all its credentials. */
  @FunctionalInterface
  interface EndEvidence<T> {
    Write<T> of(TaskRecord ended, List<CredentialRecord> credentials);
  }

  /**
   * An end as one write saw it: the task and its credentials afterwards; {@code alongside} is the result of the
   * end's write when this call ended the task ({@code endedNow}), null for a task that had already ended.
   */
  record Ending<T>(TaskRecord task, List<CredentialRecord> credentials, boolean endedNow, T alongside) {
    public Ending {
      credentials = List.copyOf(credentials);
    }
  }

  /** All credentials of a task, in issue order. */
  List<CredentialRecord> credentialsOf(String taskId);

  /**
   * Active tasks whose heartbeat or lifetime ran out before {@code now} (for the reaper): last renewal (or creation,
   * if never renewed) before {@code heartbeatDeadline}, or {@code expiresAt <= now}. Oldest first.
   */
  List<TaskRecord> overdueTasks(Instant heartbeatDeadline, Instant now, int limit);

  // ---- token exchange ([3/7]) -----------------------------------------------------------------------------

  /**
   * As {@link #insertTask(TaskRecord, List)}, with the task's exchange grant (the policy decision's downstream
   * audiences and limit) in the same transaction.
   */
  void insertTask(TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant);

  /**
   * As {@link #insertTask(TaskRecord, List, ExchangeGrant)}, spending {@code use} in the same transaction: false,
   * and nothing written, when it was already spent (at {@code now}); exactly one of concurrent calls wins.
   */
  boolean insertTask(TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant, AttestationUse use, Instant now);

  /**
   * As {@link #insertTask(TaskRecord, List, ExchangeGrant, AttestationUse, Instant)}, running {@code alongside} (the
   * task's evidence) in the same transaction after the task is inserted: empty, and nothing written, when {@code use}
   * was already spent; else what {@code alongside} returned, once all of it is durable. When {@code alongside} fails,
   * nothing is written and the attestation stays unspent.
   */
  <T> Optional<T> insertTask(
      TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant, AttestationUse use, Instant now,
      Write<T> alongside);

  /** The exchange grant of a task; empty for a task begun without one (it may not exchange). */
  Optional<ExchangeGrant> findExchangeGrant(String taskId);

  /**
   * Counts one exchange and records the downstream token it issued, in one transaction, only if the task is active,
   * before its {@code expiresAt} (compared with {@code now}), and below its exchange limit. A concurrent end either
   * revokes the recorded token or makes this change nothing.
   */
  ExchangeRecorded recordExchange(String taskId, CredentialRecord downstreamToken, Instant now);

  /** One credential by kind and id (X.509 serial in lower-case hex, or {@code jti}). */
  Optional<CredentialRecord> findCredential(CredentialKind kind, String credentialId);

  /** Revokes one credential; true when this call revoked it, false when unknown or already revoked. */
  boolean revokeCredential(CredentialKind kind, String credentialId, Instant revokedAt);

  /** Credentials revoked at or after {@code revokedSince} that have not expired by {@code now}. */
  List<CredentialRecord> revokedCredentials(Instant revokedSince, Instant now);

  /** How many credentials {@link #revokedCredentials} would list, without reading them. */
  long countRevokedCredentials(Instant revokedSince, Instant now);

  /** The downstream-token signing keys ({@code /jwks}), any state; not part of the SPIFFE bundle. */
  List<BundleKeyRecord> downstreamKeys();

  /** Inserts or replaces a downstream signing key by {@code kid}. */
  void putDownstreamKey(BundleKeyRecord key);

  /** Deletes a downstream signing key; a no-op when absent. */
  void removeDownstreamKey(String kid);

  // ---- trust bundle (public keys only) ---------------------------------------------------------------------

  /** All authorities in the bundle table, any state. */
  List<BundleKeyRecord> bundleKeys();

  /** Inserts or replaces an authority (by {@code kid}) and increments the bundle sequence, atomically. */
  long putBundleKey(BundleKeyRecord key);

  /**
   * Deletes an authority and increments the bundle sequence; returns the new sequence. Removing a {@code kid} that
   * is not there changes nothing and returns the current sequence.
   */
  long removeBundleKey(String kid);

  /** The current {@code spiffe_sequence}: increases whenever the bundle's content changes. */
  long bundleSequence();

  /**
   * The bundle sequence as the database holds it now ({@link #bundleSequence} may answer from a recent read), for
   * reading keys and sequence consistently.
   */
  default long freshBundleSequence() {
    return bundleSequence();
  }

  // ---- one-time tokens and replay --------------------------------------------------------------------------

  /**
   * Stores a one-time token by its SHA-256 (hex); the token itself is never stored. A digest already stored is a
   * {@link StoreException}.
   */
  void insertOneTimeToken(String tokenSha256, String purpose, Instant expiresAt);

  /** Consumes a one-time token: true exactly once for an unexpired token, false otherwise. */
  boolean consumeOneTimeToken(String tokenSha256, String purpose, Instant now);

  /**
   * Remembers {@code (issuer, jti)} until {@code expiresAt}: true when first seen (or its earlier entry expired),
   * false on replay. Holds across replicas and restarts.
   */
  boolean rememberJti(String issuer, String jti, Instant expiresAt, Instant now);

  /** Spends {@code use} on its own: true exactly once ({@link #rememberJti} or {@link #consumeOneTimeToken}). */
  default boolean consume(AttestationUse use, Instant now) {
    if (use instanceof AttestationUse.Jti j) {
      return rememberJti(j.issuer(), j.jti(), j.expiresAt(), now);
    }
    AttestationUse.OneTimeToken t = (AttestationUse.OneTimeToken) use;
    return consumeOneTimeToken(t.tokenSha256(), t.purpose(), now);
  }

  // ---- revocation ([3/7]: CRL and Shared Signals) ---------------------------------------------------------

  /**
   * Credentials of {@code kind} that are revoked and not yet expired ({@code expiresAt > now}): what the CRL must
   * list. Ordered by credential id.
   */
  List<CredentialRecord> revokedUnexpired(CredentialKind kind, Instant now);

  /** Queues Shared Signals deliveries (state pending), atomically. */
  void insertSignalDeliveries(List<SignalDeliveryRecord> deliveries);

  /** Pending deliveries whose {@code nextAttemptAt <= now}, oldest first. */
  List<SignalDeliveryRecord> dueSignalDeliveries(Instant now, int limit);

  /**
   * Takes a due delivery for one send: counts the attempt and moves {@code nextAttemptAt} to {@code leaseUntil},
   * only if it is still pending at {@code seenNextAttemptAt}. True for exactly one of several competing senders.
   */
  boolean leaseSignalDelivery(String deliveryId, Instant seenNextAttemptAt, Instant leaseUntil);

  /** Forgets a delivery the receiver accepted. */
  void deleteSignalDelivery(String deliveryId);

  /** Schedules the next attempt of a pending delivery after a failed send. */
  void retrySignalDelivery(String deliveryId, Instant nextAttemptAt, String lastError);

  /** Gives a delivery up (state failed): kept for operators, never sent again. */
  void failSignalDelivery(String deliveryId, String lastError);

  // ---- Jenkins controllers ([2/7]) -------------------------------------------------------------------------

  /** Registers or replaces a controller: its JWKS (JSON) or a JWKS URL, exactly one of them non-null. */
  void putController(ControllerRecord controller);

  Optional<ControllerRecord> findController(String name);

  List<ControllerRecord> listControllers();

  /** Removes a controller; true when it existed. */
  boolean removeController(String name);

  // ---- end receipts ([4/7]) --------------------------------------------------------------------------------

  /**
   * Keeps the signed revocation receipt of an ended task, once: false (and nothing changes) when the task is not
   * ended or already has one.
   */
  boolean saveEndReceipt(String taskId, String receiptJson);

  /**
   * {@link #saveEndReceipt} as an update to run inside another write (the end's evidence, once its batch's checkpoint
   * is signed, together with the other ends' receipts): a row count of 1 when it was kept.
   */
  PendingUpdate keepEndReceipt(String taskId, String receiptJson);

  /** The receipt of an ended task whose end evidence was written. */
  Optional<String> endReceipt(String taskId);

  /** Ended tasks whose end evidence is still to be written, oldest end first. */
  List<TaskRecord> endedWithoutReceipt(int limit);

  // ---- operators (issue 15: metrics, admin API) ------------------------------------------------------------

  /**
   * Credentials of ended tasks that have not expired by {@code now}, revoked or not: the residual exposure a
   * relying party verifying offline still accepts. Soonest expiry first, at most {@code limit}.
   */
  List<CredentialRecord> credentialsValidAfterTaskEnd(Instant now, int limit);

  // ---- replicas (issue 14): shared keys, coordination, the Shared Signals outbox ----------------------------

  /**
   * Runs {@code work} while holding the store-wide lock {@code name}: on PostgreSQL a session advisory lock, so one
   * replica at a time runs it (others wait); elsewhere (one process per store) it just runs.
   */
  default <T> T exclusively(String name, java.util.function.Supplier<T> work) {
    return work.get();
  }

  /** Keeps a sealed private key under {@code keyId} unless one is there: true when this call stored it. */
  boolean insertSharedKey(String keyId, String sealed, Instant createdAt);

  /** The sealed private key stored under {@code keyId}. */
  Optional<String> sharedKey(String keyId);

  /** Forgets a shared key; a no-op when absent. */
  void removeSharedKey(String keyId);

  /** Task ends whose Shared Signals are still to be queued (the outbox, filled by the end's transaction). */
  List<String> signalOutbox(int limit);

  /**
   * Takes a task's end off the outbox and queues {@code deliveries} for it, in one transaction: false, and nothing
   * queued, when another caller took it first.
   */
  boolean relaySignalOutbox(String taskId, List<SignalDeliveryRecord> deliveries);

  /**
   * Takes up to {@code limit} ends off the outbox, oldest first, queuing nothing (an issuer with no receivers), in one
   * transaction; how many it took.
   */
  int discardSignalOutbox(int limit);

  // ---- approval gates (issue 16) --------------------------------------------------------------------------

  /**
   * Records an approval request, spending {@code use} and running {@code alongside} (its evidence) in the same
   * write: empty, and nothing written, when {@code use} was already spent.
   */
  <T> Optional<T> insertApproval(ApprovalRecord approval, AttestationUse use, Instant now, Write<T> alongside);

  /** One request, with its approvers so far. */
  Optional<ApprovalRecord> findApproval(String approvalId);

  /** Newest first; {@code state} null means any state. */
  List<ApprovalRecord> listApprovals(ApprovalState state, int limit);

  /** Open requests whose expiry has passed at {@code now} (to record as expired), oldest first. */
  List<ApprovalRecord> overdueApprovals(Instant now, int limit);

  /**
   * Counts {@code approver}'s approval of a pending, unexpired request, with {@code alongside} in the same write;
   * the request is approved once {@code minApprovers} distinct approvers did. Empty, and nothing written, when the
   * request is not pending, has expired, or {@code approver} already approved it.
   */
  <T> Optional<T> grantApproval(String approvalId, String approver, Instant now, Write<T> alongside);

  /**
   * Closes an open request as {@link ApprovalState#DENIED} (pending and unexpired), {@link ApprovalState#WITHDRAWN}
   * (pending or approved, unexpired) or {@link ApprovalState#EXPIRED} (open, expired at {@code now}), with
   * {@code alongside} in the same write. Empty, and nothing written, when it was in no such state.
   */
  <T> Optional<T> closeApproval(
      String approvalId, ApprovalState to, String by, String reason, Instant now, Write<T> alongside);

  /**
   * Issues the task of an approved, unexpired request: marks it issued and inserts the task as
   * {@link #insertTask(TaskRecord, List, ExchangeGrant, AttestationUse, Instant, Write)} does (the attestation was
   * spent by the request), all in one write. Empty, and nothing written, when the request is not approved (any
   * more) or has expired: exactly one of concurrent collectors gets the task.
   */
  <T> Optional<T> insertApprovedTask(
      String approvalId, TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant, Instant now,
      Write<T> alongside);

  /** Requests changed by operator commands whose evidence the running issuer has still to log, oldest first. */
  List<ApprovalRecord> approvalsWithPendingEvidence(int limit);

  /** The evidence of an operator command's change to the request is logged. */
  void clearApprovalEvidencePending(String approvalId);

  /**
   * What an operator command (which has no evidence writer) runs alongside its change of a request instead of the
   * evidence: it marks the request for the running issuer to log.
   */
  static Write<Object> approvalEvidencePending(String approvalId) {
    return Write.of("mark approval evidence pending", c -> ApprovalRows.setEvidencePending(c, approvalId, true));
  }

  // ---- standing-privilege exceptions and the audit report (issue 16) ---------------------------------------

  /** Adds an exception, running {@code alongside} (its evidence) in the same write; returns what that returned. */
  <T> T insertException(ExceptionRecord exception, Write<T> alongside);

  Optional<ExceptionRecord> findException(String exceptionId);

  /** Newest first, revoked ones included. */
  List<ExceptionRecord> listExceptions(int limit);

  /**
   * Records a review by {@code by} at {@code at} of the exception as it was at {@code seen} (and keeps it in the
   * review history), moving the expiry to {@code newExpiresAt} unless that is null, with {@code alongside} in the
   * same write. Empty, and nothing written, when the exception is revoked, has changed since {@code seen}, or has
   * expired at {@code at} and no new expiry is given.
   */
  <T> Optional<T> reviewException(
      ExceptionRecord seen, ExceptionRecord.Actor by, String note, Instant newExpiresAt, Instant at, Write<T> alongside);

  /** Revokes an unrevoked exception with {@code alongside} in the same write; empty, nothing written, otherwise. */
  <T> Optional<T> revokeException(String exceptionId, ExceptionRecord.Actor by, String reason, Instant at, Write<T> alongside);

  /**
   * Remembers that the exception, as it was at {@code version}, was signalled as {@code state} ({@code EXPIRED} or
   * {@code UNREVIEWED}) and queues {@code deliveries}, in one transaction: false, and nothing queued, when it was
   * already signalled so, revoked, or changed since.
   */
  boolean signalException(
      String exceptionId, int version, ExceptionState state, Instant at, List<SignalDeliveryRecord> deliveries);

  /** Reviews made in [from, to), oldest first. */
  List<ExceptionReview> exceptionReviews(Instant from, Instant to);

  /** Evidence entries of operator commands' changes still to be logged by the running issuer, oldest first. */
  List<PendingExceptionEvidence> pendingExceptionEvidence(int limit);

  /**
   * Takes one pending entry and runs {@code alongside} (its append to the log) in the same write: empty, and nothing
   * written, when another caller took it.
   */
  <T> Optional<T> takeExceptionEvidence(String exceptionId, int version, Write<T> alongside);

  /**
   * What an operator command (no evidence writer) runs alongside its change of an exception instead of the
   * evidence: it keeps the change's entry for the running issuer to log.
   */
  static Write<Object> exceptionEvidencePending(String exceptionId, String type, String entry, Instant at) {
    return Write.of("keep exception evidence", c -> ExceptionRows.insertPendingEvidence(c, exceptionId, type, entry, at));
  }

  /** Every task begun in [from, to), oldest first, streamed to {@code each} (the audit report). */
  void forEachTaskBegun(Instant from, Instant to, java.util.function.Consumer<AuditRows.Task> each);

  /** Every credential of a task begun in [from, to), streamed to {@code each} with its task's end. */
  void forEachCredentialOfTasksBegun(Instant from, Instant to, java.util.function.Consumer<AuditRows.Credential> each);

  /** Approval requests made in [from, to), oldest first, with their approvers. */
  List<ApprovalRecord> approvalsRequested(Instant from, Instant to);

  @Override
  void close();
}
