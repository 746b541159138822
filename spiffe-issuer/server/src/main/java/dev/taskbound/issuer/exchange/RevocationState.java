package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.task.TaskEndListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What exchange and introspection must refuse, held in memory so their hot paths do not ask the store: revoked
 * credentials (until they expire) and ended tasks, plus a short-lived cache of task records. Told of changes by
 * task ends (as a {@link TaskEndListener}) and by {@code /revoke}; {@link #refresh} picks up what other replicas
 * revoked, and is run once at start so a restart forgets nothing; on PostgreSQL other replicas' ends and revocations
 * also arrive as they commit ({@link #endedElsewhere}, {@link #revokedElsewhere}), and the refresh is the fallback.
 */
public final class RevocationState implements TaskEndListener {
  /** How long a loaded task record is trusted; an end on another replica is seen within this (or a refresh). */
  static final Duration TASK_CACHE_TTL = Duration.ofSeconds(2);
  /** Overlap between refreshes, so a revocation committed with a slightly older timestamp is not missed. */
  private static final Duration REFRESH_OVERLAP = Duration.ofSeconds(30);

  private final Store store;
  private final Clock clock;
  private final Map<String, Instant> revoked = new ConcurrentHashMap<>();
  private final Map<String, Instant> endedTasks = new ConcurrentHashMap<>();
  private final Map<String, TaskSnapshot> tasks = new ConcurrentHashMap<>();
  /**
   * The revocations known here that the next refresh's window holds, by the times the store has for them: when the
   * store counts as many in that window, none is new and the refresh reads no rows (the window overlaps the last
   * one, so reading it whole would read every revocation about {@code REFRESH_OVERLAP / period} times).
   */
  private final Map<String, Window> known = new ConcurrentHashMap<>();
  private volatile Instant refreshedUpTo = Instant.EPOCH;

  /** When a credential was revoked and when it expires, in the store's milliseconds. */
  private record Window(long revokedAtMillis, long expiresAtMillis) {
    static Window of(CredentialRecord c) {
      return new Window(c.revokedAt().toEpochMilli(), c.expiresAt().toEpochMilli());
    }

    boolean in(long sinceMillis, long nowMillis) {
      return revokedAtMillis >= sinceMillis && expiresAtMillis > nowMillis;
    }
  }

  public RevocationState(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  boolean isRevoked(CredentialKind kind, String credentialId) {
    return revoked.containsKey(key(kind, credentialId));
  }

  /** The task, loaded at most every {@link #TASK_CACHE_TTL}; an ended task is never served as active. */
  Optional<TaskSnapshot> task(String taskId) {
    Instant now = clock.instant();
    TaskSnapshot cached = tasks.get(taskId);
    if (cached != null && now.isBefore(cached.loadedAt().plus(TASK_CACHE_TTL)) && !endedTasks.containsKey(taskId)) {
      return Optional.of(cached);
    }
    Optional<TaskSnapshot> loaded =
        store.findTask(taskId).map(t -> new TaskSnapshot(t, store.findExchangeGrant(taskId).orElse(null), now));
    loaded.ifPresentOrElse(
        s -> {
          if (s.task().active()) {
            tasks.put(taskId, s);
          } else {
            tasks.remove(taskId);
            endedTasks.put(taskId, s.task().expiresAt());
          }
        },
        () -> tasks.remove(taskId));
    return loaded;
  }

  boolean isEnded(String taskId) {
    return endedTasks.containsKey(taskId);
  }

  /** Records a revocation made here ({@code /revoke}). */
  void revoked(CredentialKind kind, String credentialId, Instant expiresAt) {
    revoked.put(key(kind, credentialId), expiresAt);
  }

  @Override
  public void taskEnded(TaskRecord task, List<CredentialRecord> revokedNow) {
    endedTasks.put(task.taskId(), task.expiresAt());
    tasks.remove(task.taskId());
    for (CredentialRecord c : revokedNow) {
      String key = key(c.kind(), c.credentialId());
      revoked.put(key, c.expiresAt());
      if (c.revokedAt() != null) {
        known.put(key, Window.of(c));
      }
    }
  }

  /**
   * A task ended by another replica (or an operator command), heard at its commit (PostgreSQL NOTIFY): refused from
   * now on, with all its credentials, without waiting for the next {@link #refresh}.
   */
  public void endedElsewhere(String taskId, Instant expiresAt) {
    endedTasks.put(taskId, expiresAt);
    tasks.remove(taskId);
  }

  /** A credential revoked on its own by another replica ({@code /revoke} there), heard at its commit. */
  public void revokedElsewhere(CredentialKind kind, String credentialId, Instant expiresAt) {
    revoked.put(key(kind, credentialId), expiresAt);
  }

  /** Loads revocations made since the last refresh (by any replica) and forgets what has expired. */
  public void refresh() {
    Instant now = clock.instant();
    Instant since = refreshedUpTo.equals(Instant.EPOCH) ? Instant.EPOCH : refreshedUpTo.minus(REFRESH_OVERLAP);
    long sinceMillis = since.toEpochMilli();
    long nowMillis = now.toEpochMilli();
    known.values().removeIf(w -> !w.in(sinceMillis, nowMillis));
    // Every entry of `known` is a committed row of the window (ends tell listeners after their commit), so equal
    // counts mean equal sets. Anything else (another process's revocation, a row seen half-way) reads the window.
    int knownBefore = known.size();
    if (since.equals(Instant.EPOCH) || store.countRevokedCredentials(since, now) != knownBefore) {
      for (CredentialRecord c : store.revokedCredentials(since, now)) {
        String key = key(c.kind(), c.credentialId());
        revoked.put(key, c.expiresAt());
        known.put(key, Window.of(c));
        // The task may have ended on another replica: reload it on next use.
        tasks.remove(c.taskId());
      }
    }
    refreshedUpTo = now;
    revoked.values().removeIf(expiresAt -> !now.isBefore(expiresAt));
    // An ended task is remembered until its lifetime is over; after that no credential of it verifies anyway.
    endedTasks.values().removeIf(expiresAt -> !now.isBefore(expiresAt));
    tasks.values().removeIf(s -> !now.isBefore(s.loadedAt().plus(TASK_CACHE_TTL)));
  }

  private static String key(CredentialKind kind, String credentialId) {
    return kind.wire() + ":" + credentialId;
  }
}
