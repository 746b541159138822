package dev.taskbound.client;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.api.TaskOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One task seen from the step that runs it: the key is generated here and never sent; begin, renew at the
 * issuer's {@code renew_after} with backoff on failure (no more once {@code renew_after} reaches {@code expires_at} or
 * the issuer refuses), credential files rewritten atomically on every renewal, end with bounded retry, files wiped.
 * What every CI adapter does, in one place.
 *
 * <p>With {@link SessionOptions#exchange()} the session also holds downstream tokens (RFC 8693): exchanged at begin
 * (a refusal ends the task {@code failed}), written to {@link AudienceNames#downstreamFile}, exchanged again on the
 * first renewal past each token's {@link DownstreamToken#refreshAt()}; a refused refresh keeps the old token and is
 * reported to {@link SvidListener#downstreamRefreshFailed}. The issuer revokes them with the task.
 *
 * <p>Thread-safe. {@link #close()} ends the task as {@code aborted} when no outcome was reported, so a
 * try-with-resources block never leaves a task running.
 */
public final class TaskSession implements AutoCloseable {
  private final IssuerClient client;
  private final SessionOptions options;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final TaskKey key;
  private final String controlToken;
  private final CredentialDirectory directory;
  private final List<SvidListener> listeners = new CopyOnWriteArrayList<>();
  private final Set<String> secrets = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();

  private volatile Svids current;
  private volatile Map<String, DownstreamToken> downstream = Map.of();
  private volatile boolean ending;
  private ScheduledFuture<?> nextRenewal;
  private int failedRenewals;
  private EndResult endResult;

  private TaskSession(
      IssuerClient client, SessionOptions options, Clock clock, ScheduledExecutorService scheduler, boolean ownsScheduler,
      TaskKey key, BeginTaskResponse begun, String bundleJson, CredentialDirectory directory) {
    this.client = client;
    this.options = options;
    this.clock = clock;
    this.scheduler = scheduler;
    this.ownsScheduler = ownsScheduler;
    this.key = key;
    this.controlToken = begun.controlToken();
    this.directory = directory;
    this.current = Svids.of(begun, bundleJson);
  }

  /** Begins with a scheduler of the session's own (one daemon thread, stopped at end). */
  public static TaskSession begin(IssuerClient client, Attestation attestation, SessionOptions options) {
    return begin(client, attestation, options, ApprovalWait.quiet(client));
  }

  /**
   * As {@link #begin(IssuerClient, Attestation, SessionOptions)}, waiting through {@code approval} when policy asks
   * for approvers (it shows the URL; it can be withdrawn from a signal handler).
   */
  public static TaskSession begin(IssuerClient client, Attestation attestation, SessionOptions options, ApprovalWait approval) {
    ScheduledExecutorService own = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "taskbound-renewal");
      t.setDaemon(true);
      return t;
    });
    try {
      return begin(client, attestation, options, Clock.systemUTC(), own, true, approval);
    } catch (RuntimeException e) {
      own.shutdownNow();
      throw e;
    }
  }

  /** Begins on an injected clock and scheduler (tests control time; adapters share a pool). */
  public static TaskSession begin(
      IssuerClient client, Attestation attestation, SessionOptions options, Clock clock, ScheduledExecutorService scheduler) {
    return begin(client, attestation, options, clock, scheduler, false, ApprovalWait.quiet(client));
  }

  private static TaskSession begin(
      IssuerClient client, Attestation attestation, SessionOptions options, Clock clock, ScheduledExecutorService scheduler,
      boolean ownsScheduler, ApprovalWait approval) {
    Objects.requireNonNull(attestation, "attestation");
    TaskKey key = TaskKey.generate();
    BeginTaskResponse begun = approval.begin(attestation, key, options.jwtAudiences(client.issuerUrl()), options.ttl());
    CredentialDirectory dir = null;
    TaskSession session;
    String failure = "client could not store credentials";
    try {
      dir = directoryFor(options);
      session = new TaskSession(client, options, clock, scheduler, ownsScheduler, key, begun, fetchBundle(client, null), dir);
      session.secrets.add(attestation.token());
      session.secrets.add(begun.controlToken());
      session.secrets.addAll(pemBodyLines(key.privateKeyPem()));
      session.rememberSecrets(session.current);
      if (dir != null) {
        dir.writeKey(key.privateKeyPem());
        dir.write(session.current);
      }
      failure = "token exchange at begin failed";
      for (DownstreamToken token : DownstreamExchange.exchange(client, session.current, options.exchange())) {
        session.installDownstream(token);
      }
    } catch (RuntimeException e) {
      // Credentials exist at the issuer but the step cannot use them: take them back at once.
      EndResult ended = new EndRetry(client, options.endBackoff(), options.endRetryFor(), clock)
          .end(begun.taskId(), begun.controlToken(), TaskOutcome.FAILED.wire(), failure);
      if (!ended.ended()) {
        e.addSuppressed(ended.failure());
      }
      if (dir != null) {
        dir.wipe();
      }
      throw e;
    }
    synchronized (session.lock) {
      session.scheduleRenewalAt(begun.renewAfter());
    }
    return session;
  }

  public String taskId() {
    return current.taskId();
  }

  public String spiffeId() {
    return current.spiffeId();
  }

  public String issuerUrl() {
    return client.issuerUrl();
  }

  /** The credentials valid now; replaced on every renewal. */
  public Svids current() {
    return current;
  }

  /** The task's private key; it never leaves this process except into {@code svid_key.pem}. */
  public TaskKey key() {
    return key;
  }

  /** Authorises renew and end; adapters that persist the session (a shell's state file) need it, nothing else does. */
  public String controlToken() {
    return controlToken;
  }

  /** The credential directory, or null when the session writes no files. */
  public CredentialDirectory directory() {
    return directory;
  }

  /** The downstream tokens held now, by audience (empty without {@link SessionOptions#exchange()}); refreshes replace them. */
  public Map<String, DownstreamToken> downstreamTokens() {
    return downstream;
  }

  /** The file of the downstream token for {@code audience} in the credential directory (null when no files are written). */
  public Path downstreamFile(String audience) {
    return directory == null ? null : directory.file(AudienceNames.downstreamFile(audience));
  }

  public void addListener(SvidListener listener) {
    listeners.add(listener);
  }

  public void removeListener(SvidListener listener) {
    listeners.remove(listener);
  }

  /**
   * Every string an adapter must mask in logs: the attestation and control tokens, every JWT-SVID and downstream
   * token issued so far (renewals add more), and each base64 line of the private key PEM (console masking works line
   * by line).
   */
  public Set<String> secretsToMask() {
    return Set.copyOf(secrets);
  }

  /** Renews now instead of at {@code renew_after}; for tests and for adapters that want fresh SVIDs. */
  public Svids renewNow() {
    synchronized (lock) {
      if (ending) {
        throw new IllegalStateException("task " + taskId() + " is ending");
      }
      Svids fresh = Svids.of(client.renew(taskId(), controlToken), fetchBundle(client, current.bundleJson()));
      install(fresh);
      refreshDownstream(fresh);
      cancelRenewal();
      scheduleRenewalAt(fresh.renewAfter());
      return fresh;
    }
  }

  /**
   * Ends the task with {@code outcome}: stops renewing, calls end (retrying an unreachable issuer for
   * {@link SessionOptions#endRetryFor()}), wipes the credential directory either way, tells listeners. Repeats
   * return the first result.
   */
  public EndResult end(TaskOutcome outcome, String reason) {
    if (!outcome.reportableByClient()) {
      throw new IllegalArgumentException("a client reports succeeded, failed, aborted or timed_out, not " + outcome.wire());
    }
    ending = true;
    EndResult result;
    synchronized (lock) {
      if (endResult != null) {
        return endResult;
      }
      cancelRenewal();
      try {
        result = new EndRetry(client, options.endBackoff(), options.endRetryFor(), clock).end(taskId(), controlToken, outcome.wire(), reason);
        if (options.evidenceKey() != null) {
          result = result.withReceiptVerifiedBy(options.evidenceKey());
        }
      } finally {
        if (directory != null) {
          directory.wipe();
        }
      }
      endResult = result;
    }
    for (SvidListener l : listeners) {
      l.ended(result);
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    return result;
  }

  /** The result of {@link #end}, or null while the task runs. */
  public EndResult endResult() {
    synchronized (lock) {
      return endResult;
    }
  }

  @Override
  public void close() {
    end(TaskOutcome.ABORTED, "session closed without an outcome");
  }

  // ---- renewal ------------------------------------------------------------------------------------------

  /**
   * Schedules the next renewal at {@code at}; false when there is none: the session is ending, or {@code at} is not
   * before the task's end ({@code renew_after == expires_at} is the issuer's "no further renewal", and a retry past
   * the end could only be refused).
   */
  private boolean scheduleRenewalAt(Instant at) {
    if (ending || !at.isBefore(current.expiresAt())) {
      return false;
    }
    long delayMs = Math.max(0, Duration.between(clock.instant(), at).toMillis());
    nextRenewal = scheduler.schedule(this::renewOnSchedule, delayMs, TimeUnit.MILLISECONDS);
    return true;
  }

  private void cancelRenewal() {
    if (nextRenewal != null) {
      nextRenewal.cancel(false);
      nextRenewal = null;
    }
  }

  private void renewOnSchedule() {
    IssuerException failure;
    Instant retryAt;
    synchronized (lock) {
      if (ending) {
        return;
      }
      try {
        Svids fresh = Svids.of(client.renew(taskId(), controlToken), fetchBundle(client, current.bundleJson()));
        install(fresh);
        refreshDownstream(fresh);
        failedRenewals = 0;
        scheduleRenewalAt(fresh.renewAfter());
        return;
      } catch (IssuerException e) {
        failure = e;
      } catch (RuntimeException e) {
        // Writing the files failed (disk full, say): retry like an unreachable issuer.
        failure = new IssuerException("renewal could not be stored: " + e.getMessage(), e);
      }
      if (failure.retryable()) {
        failedRenewals++;
        Instant at = clock.instant().plus(options.renewBackoff().delayAfter(failedRenewals));
        retryAt = scheduleRenewalAt(at) ? at : null;
      } else {
        // 401/404/409: the task was ended elsewhere (reaper, operator) or is at its end of life; retrying cannot help.
        retryAt = null;
      }
    }
    for (SvidListener l : listeners) {
      l.renewalFailed(failure, retryAt);
    }
  }

  private void install(Svids fresh) {
    rememberSecrets(fresh);
    if (directory != null) {
      directory.write(fresh);
    }
    current = fresh;
    for (SvidListener l : listeners) {
      try {
        l.rotated(fresh);
      } catch (RuntimeException e) {
        // One failing listener must not stop the others or the next renewal.
      }
    }
  }

  /**
   * Exchanges again for every downstream token past its refresh time, with the fresh issuer-audience JWT-SVID. Never
   * throws: a refused refresh (max_exchanges used up, say) must not undo a renewal; the old token stays until it
   * expires and the listeners hear why.
   */
  private void refreshDownstream(Svids fresh) {
    Instant now = clock.instant();
    for (DownstreamToken old : downstream.values()) {
      if (now.isBefore(old.refreshAt())) {
        continue;
      }
      RuntimeException failure;
      try {
        installDownstream(DownstreamExchange.exchange(client, fresh, List.of(old.audience())).get(0));
        continue;
      } catch (IssuerException e) {
        failure = e;
      } catch (RuntimeException e) {
        failure = new IssuerException("the refreshed token could not be stored: " + e.getMessage(), e);
      }
      for (SvidListener l : listeners) {
        try {
          l.downstreamRefreshFailed(old.audience(), failure, old.expiresAt());
        } catch (RuntimeException ignored) {
          // One failing listener must not stop the others.
        }
      }
    }
  }

  /** Masks, writes (0600, atomically) and holds one downstream token. */
  private void installDownstream(DownstreamToken token) {
    secrets.add(token.token());
    if (directory != null) {
      directory.writeDownstream(token);
    }
    Map<String, DownstreamToken> next = new LinkedHashMap<>(downstream);
    next.put(token.audience(), token);
    downstream = Collections.unmodifiableMap(next);
  }

  private void rememberSecrets(Svids svids) {
    for (JwtSvidCredential jwt : svids.jwtSvids()) {
      secrets.add(jwt.token());
    }
  }

  private static CredentialDirectory directoryFor(SessionOptions options) {
    if (CredentialDirectory.NONE.equals(options.credentialDir())) {
      return null;
    }
    return options.credentialDir() == null ? CredentialDirectory.createTemp() : CredentialDirectory.at(options.credentialDir());
  }

  /** The bundle document, or {@code fallback} when it cannot be fetched: JWT keys rotate slowly, SVIDs matter more. */
  private static String fetchBundle(IssuerClient client, String fallback) {
    try {
      return client.bundleJson();
    } catch (IssuerException e) {
      return fallback;
    }
  }

  static Set<String> pemBodyLines(String pem) {
    Set<String> lines = new LinkedHashSet<>();
    for (String line : pem.split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("-----")) {
        lines.add(l);
      }
    }
    return lines;
  }

  @Override
  public String toString() {
    return "TaskSession[" + taskId() + ", " + spiffeId() + "]";
  }
}
