package dev.taskbound.issuer.exceptions;

import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.config.HumanDuration;
import dev.taskbound.issuer.evidence.Event;
import dev.taskbound.issuer.evidence.EvidenceException;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.evidence.ExceptionEvents;
import dev.taskbound.issuer.store.ExceptionRecord;
import dev.taskbound.issuer.store.ExceptionState;
import dev.taskbound.issuer.store.PendingExceptionEvidence;
import dev.taskbound.issuer.store.SignalDeliveryRecord;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import dev.taskbound.issuer.store.Write;
import dev.taskbound.issuer.task.TaskException;
import dev.taskbound.issuer.task.TaskLifecycle;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standing-privilege exception register: add, review, revoke, list. Every change is one store write together
 * with its evidence ({@code exception.*}, naming who made it); an operator command, which has no evidence writer,
 * keeps the entry in the store instead and the running issuer logs it ({@link #logPendingEvidence}). Expiries are
 * required and bounded by {@link ExceptionsConfig#maxLifetime()}; bad input changes nothing.
 */
public final class StandingExceptions {
  private static final Logger LOG = LoggerFactory.getLogger(StandingExceptions.class);
  /** Who vouches for an operator named by an operator command ({@code --as}): the command line itself. */
  public static final String CLI_ISSUER = "cli";
  static final int MAX_TEXT = 1024;
  static final int MAX_NAME = 256;
  /** The most exceptions a listing, the metric or the signal sweep reads: a register is not a task table. */
  static final int SCAN = 10_000;
  private static final Pattern EXCEPTION_ID = Pattern.compile("exc_[a-z2-7]{26}");

  /** What an operator asks to register. */
  public record Addition(String identity, String scope, String owner, String reason, Instant expiresAt) {}

  /** An entry with where it stands now and when its next review is due. */
  public record View(ExceptionRecord record, ExceptionState state, Instant reviewDueAt) {}

  /** The Shared Signals events (one per receiver) that an exception expired or went unreviewed. */
  @FunctionalInterface
  public interface Signals {
    List<SignalDeliveryRecord> deliveries(ExceptionRecord exception, ExceptionState state, Instant at);
  }

  private final Store store;
  private final EvidenceLog evidence;
  private final ExceptionsConfig config;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  /** @param evidence the log, or null for an operator command (its changes are logged by the running issuer) */
  public StandingExceptions(Store store, EvidenceLog evidence, ExceptionsConfig config, Clock clock) {
    this.store = store;
    this.evidence = evidence;
    this.config = config;
    this.clock = clock;
  }

  public ExceptionsConfig config() {
    return config;
  }

  // ---- changes ----------------------------------------------------------------------------------------------

  public View add(Addition a, ExceptionEvents.Actor by) {
    requireActor(by);
    String identity = text(a.identity(), "identity", true);
    String scope = text(a.scope(), "scope", true);
    String owner = text(a.owner(), "owner", true);
    String reason = text(a.reason(), "reason", true);
    Instant now = now();
    Instant expiresAt = expiry(a.expiresAt(), now, "expires_at");
    String id = "exc_" + TaskLifecycle.Base32.encode(randomBytes(16));
    ExceptionRecord record =
        ExceptionRecord.added(id, identity, scope, owner, reason, now, actor(by), expiresAt);
    Event event = ExceptionEvents.added(id, now, by, identity, scope, owner, reason, expiresAt);
    try {
      store.insertException(record, write(id, event, now));
    } catch (StoreException | EvidenceException e) {
      throw unavailable(e);
    }
    LOG.info("standing exception added: id={} owner={} expires_at={} by={}", id, owner, expiresAt, by.name());
    return view(record, now);
  }

  /**
   * Records that {@code by} reviewed the exception (with an optional note), moving its expiry to
   * {@code newExpiresAt} when given (bounded like an addition's). An expired exception needs a new expiry to be
   * reviewed; a revoked one cannot be.
   */
  public View review(String exceptionId, ExceptionEvents.Actor by, String note, Instant newExpiresAt) {
    requireActor(by);
    String checkedNote = text(note, "note", false);
    Instant now = now();
    Instant expiresAt = newExpiresAt == null ? null : expiry(newExpiresAt, now, "expires_at");
    ExceptionRecord before = find(exceptionId).record();
    // A review is of the exception as read: a concurrent review moves its version, and this one reads it again.
    for (int attempt = 0; attempt < 3; attempt++) {
      if (before.revoked() || (expiresAt == null && !now.isBefore(before.expiresAt()))) {
        throw notOpen(before);
      }
      Event event =
          ExceptionEvents.reviewed(
              exceptionId, now, by, checkedNote, before.expiresAt(), expiresAt == null ? before.expiresAt() : expiresAt);
      Optional<Object> done;
      try {
        done = store.reviewException(before, actor(by), checkedNote, expiresAt, now, write(exceptionId, event, now));
      } catch (StoreException | EvidenceException e) {
        throw unavailable(e);
      }
      ExceptionRecord after = reread(exceptionId);
      if (done.isPresent()) {
        LOG.info("standing exception reviewed: id={} by={} expires_at={}", exceptionId, by.name(), after.expiresAt());
        return view(after, now);
      }
      before = after;
    }
    throw new TaskException(ProblemType.EXCEPTION_NOT_OPEN, exceptionId + " is being changed by someone else; retry");
  }

  /** Ends the exception (the privilege was removed, or is no longer accepted): expired ones too, once. */
  public View revoke(String exceptionId, ExceptionEvents.Actor by, String reason) {
    requireActor(by);
    String checkedReason = text(reason, "reason", true);
    Instant now = now();
    ExceptionRecord before = find(exceptionId).record();
    if (before.revoked()) {
      throw notOpen(before);
    }
    Optional<Object> done;
    try {
      done =
          store.revokeException(
              exceptionId, actor(by), checkedReason, now, write(exceptionId, ExceptionEvents.revoked(exceptionId, now, by, checkedReason), now));
    } catch (StoreException | EvidenceException e) {
      throw unavailable(e);
    }
    ExceptionRecord after = reread(exceptionId);
    if (done.isEmpty()) {
      throw notOpen(after);
    }
    LOG.info("standing exception revoked: id={} by={}", exceptionId, by.name());
    return view(after, now);
  }

  // ---- reads ------------------------------------------------------------------------------------------------

  public View find(String exceptionId) {
    if (exceptionId == null || !EXCEPTION_ID.matcher(exceptionId).matches()) {
      throw new TaskException(
          ProblemType.NOT_FOUND, "no standing exception " + (exceptionId == null ? "" : exceptionId.replaceAll("[^A-Za-z0-9_]", "?")));
    }
    ExceptionRecord e =
        store.findException(exceptionId).orElseThrow(() -> new TaskException(ProblemType.NOT_FOUND, "no standing exception " + exceptionId));
    return view(e, now());
  }

  /** Newest first; {@code state} null means every state, revoked ones included. */
  public List<View> list(ExceptionState state, int limit) {
    Instant now = now();
    return store.listExceptions(SCAN).stream()
        .map(e -> view(e, now))
        .filter(v -> state == null || v.state() == state)
        .limit(limit)
        .toList();
  }

  /** How many exceptions are in each state now (every state present, zero included). */
  public Map<ExceptionState, Long> counts() {
    Map<ExceptionState, Long> counts = new EnumMap<>(ExceptionState.class);
    for (ExceptionState s : ExceptionState.values()) {
      counts.put(s, 0L);
    }
    Instant now = now();
    for (ExceptionRecord e : store.listExceptions(SCAN)) {
      counts.merge(state(e, now), 1L, Long::sum);
    }
    return counts;
  }

  public ExceptionState state(ExceptionRecord e, Instant at) {
    return ExceptionState.of(e, at, config.reviewInterval(), config.expiringWithin());
  }

  public View view(ExceptionRecord e, Instant at) {
    return new View(e, state(e, at), e.lastAttestedAt().plus(config.reviewInterval()));
  }

  // ---- the running issuer's sweeps ------------------------------------------------------------------------

  /**
   * Queues, once per exception and condition, the Shared Signals events that an exception expired or went
   * unreviewed (a review that extends it lets it be signalled again later). Returns how many were newly signalled.
   */
  public int signalOverdue(Signals signals) {
    Instant now = now();
    int signalled = 0;
    for (ExceptionRecord e : store.listExceptions(SCAN)) {
      ExceptionState s = state(e, now);
      boolean due =
          (s == ExceptionState.EXPIRED && e.expiredSignalledAt() == null)
              || (s == ExceptionState.UNREVIEWED && e.unreviewedSignalledAt() == null);
      if (due && store.signalException(e.exceptionId(), e.version(), s, now, signals.deliveries(e, s, now))) {
        LOG.warn("standing exception {} is {} (owner {}): signalled", e.exceptionId(), s.wire(), e.owner());
        signalled++;
      }
    }
    return signalled;
  }

  /** Logs what operator commands changed and is not in the log yet; returns how many events were appended. */
  public synchronized int logPendingEvidence(int limit) {
    if (evidence == null) {
      return 0;
    }
    int appended = 0;
    for (PendingExceptionEvidence p : store.pendingExceptionEvidence(limit)) {
      Write<EvidenceLog.Appending> append = evidence.appending(List.of(ExceptionEvents.stored(p.type(), p.entry())));
      if (store.takeExceptionEvidence(p.exceptionId(), p.version(), Write.of(append.operation(), append::apply)).isPresent()) {
        appended++;
      }
    }
    return appended;
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  /**
   * The event's write. Operator commands have no evidence writer: theirs keeps the entry, and the running issuer
   * logs it ({@link #logPendingEvidence}).
   */
  private Write<Object> write(String exceptionId, Event event, Instant at) {
    if (evidence == null) {
      return Store.exceptionEvidencePending(exceptionId, event.type(), event.json(), at);
    }
    Write<EvidenceLog.Appending> append = evidence.appending(List.of(event));
    return Write.of(append.operation(), append::apply);
  }

  private Instant expiry(Instant requested, Instant now, String field) {
    if (requested == null) {
      throw malformed(field + " is required: an exception always expires (at most " + HumanDuration.format(config.maxLifetime()) + " ahead)");
    }
    if (!requested.isAfter(now)) {
      throw malformed(field + " " + requested + " is not in the future");
    }
    Instant latest = now.plus(config.maxLifetime());
    if (requested.isAfter(latest)) {
      throw new TaskException(
          ProblemType.EXPIRY_BEYOND_MAXIMUM,
          field + " " + requested + " is more than exceptions.max_lifetime (" + HumanDuration.format(config.maxLifetime())
              + ") ahead; the latest allowed now is " + latest.truncatedTo(ChronoUnit.SECONDS));
    }
    return requested.truncatedTo(ChronoUnit.MILLIS);
  }

  /** Trimmed text of at most {@link #MAX_TEXT} characters without control characters; null when optional and absent. */
  static String text(String value, String field, boolean required) {
    if (value == null || value.isBlank()) {
      if (required) {
        throw malformed(field + " is required");
      }
      return null;
    }
    String t = value.strip();
    if (t.length() > MAX_TEXT) {
      throw malformed(field + " must be at most " + MAX_TEXT + " characters");
    }
    if (t.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
      throw malformed(field + " must be one line of text (no control characters)");
    }
    return t;
  }

  private static void requireActor(ExceptionEvents.Actor by) {
    if (by == null || by.issuer() == null || by.issuer().isBlank() || by.name() == null || by.name().isBlank()
        || by.name().length() > MAX_NAME || by.role() == null) {
      throw malformed("the operator needs an issuer and a name (at most " + MAX_NAME + " characters)");
    }
  }

  private static ExceptionRecord.Actor actor(ExceptionEvents.Actor by) {
    return new ExceptionRecord.Actor(by.issuer(), by.name());
  }

  private ExceptionRecord reread(String exceptionId) {
    return store.findException(exceptionId).orElseThrow();
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  private byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    random.nextBytes(bytes);
    return bytes;
  }

  private static TaskException notOpen(ExceptionRecord e) {
    if (e.revoked()) {
      return new TaskException(
          ProblemType.EXCEPTION_NOT_OPEN, e.exceptionId() + " was revoked at " + e.revokedAt() + " by " + e.revokedBy().name());
    }
    return new TaskException(
        ProblemType.EXCEPTION_NOT_OPEN,
        e.exceptionId() + " expired at " + e.expiresAt() + ": review it with a new expires_at to renew it, or revoke it");
  }

  private static TaskException unavailable(RuntimeException e) {
    return new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the change could not be recorded with its evidence; nothing was changed, retry", e);
  }

  private static TaskException malformed(String detail) {
    return new TaskException(ProblemType.MALFORMED_REQUEST, detail);
  }
}
