package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.CredentialDirectory;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.SessionOptions;
import dev.taskbound.client.SvidListener;
import dev.taskbound.client.Svids;
import dev.taskbound.client.TaskKey;
import dev.taskbound.client.TaskSession;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When clients are told to renew, what renew and begin answer near a task's end of life, and that the client's
 * {@link TaskSession} follows: over HTTP against a dev-mode issuer with the default lifetimes (SVIDs 10m/5m, renewal
 * interval 20s, heartbeat derived from it) on a clock the test moves.
 */
class RenewalScheduleTest {
  @TempDir Path dataDir;
  // Whole seconds, so JWT-SVID times (truncated to seconds) match the arithmetic below.
  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Issuer issuer;
  private IssuerClient client;

  @BeforeEach
  void start() throws Exception {
    issuer = Issuer.start(ConfigLoader.override(ConfigLoader.dev(dataDir), true, "127.0.0.1:0", null), clock);
    client = new IssuerClient(issuer.url());
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  @Test
  void longTaskRenewsEveryRenewalIntervalNotAtTheSvidsHalfLife() {
    BeginTaskResponse begun = begin("1h");
    assertThat(begun.renewAfter()).isEqualTo(clock.instant().plusSeconds(20));

    clock.advance(Duration.ofSeconds(20));
    RenewTaskResponse renewed = client.renew(begun.taskId(), begun.controlToken());
    assertThat(renewed.renewAfter()).isEqualTo(clock.instant().plusSeconds(20));
  }

  @Test
  void shortTaskRenewsAtHalfLifeThenIsToldNoFurtherRenewalInsteadOfABurst() {
    BeginTaskResponse begun = begin("30s");
    Instant end = begun.expiresAt();
    assertThat(begun.renewAfter()).isEqualTo(end.minusSeconds(15));

    // A client that renews exactly when told: 15 s left, then 7.5 s, then no further renewal.
    Instant renewAfter = begun.renewAfter();
    int renewals = 0;
    while (renewAfter.isBefore(end) && renewals < 10) {
      clock.set(renewAfter);
      renewAfter = client.renew(begun.taskId(), begun.controlToken()).renewAfter();
      renewals++;
    }
    assertThat(renewAfter).as("renew_after == expires_at: no further renewal").isEqualTo(end);
    assertThat(renewals).isEqualTo(2);
  }

  @Test
  void taskTooShortToRenewAtAllIsToldSoAtBegin() {
    BeginTaskResponse begun = begin("8s");
    assertThat(begun.renewAfter()).isEqualTo(begun.expiresAt());
  }

  @Test
  void renewWithLessThanASecondLeftIsAConflictNamingTheEndOfLifetimeAndIssuesNothing() {
    clock.advance(Duration.ofMillis(500)); // the task ends at .5 of a second
    BeginTaskResponse begun = begin("1m");
    clock.set(begun.expiresAt().minusMillis(400)); // same second as the end: a JWT-SVID cannot expire within it
    int credentials = issuer.store().credentialsOf(begun.taskId()).size();

    assertThatThrownBy(() -> client.renew(begun.taskId(), begun.controlToken()))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(409);
          assertThat(e.problem().type()).isEqualTo("https://taskbound.dev/problems/task-not-active");
          assertThat(e.problem().detail()).contains("end of its lifetime").doesNotContain(begun.controlToken());
        });
    assertThat(issuer.store().credentialsOf(begun.taskId())).hasSize(credentials);
    assertThat(task(begun).active()).isTrue();
  }

  @Test
  void beginWithATtlTooShortForAJwtSvidIsMalformed() {
    // 500 ms from .2 of a second end within the same second: no JWT-SVID can expire there.
    clock.advance(Duration.ofMillis(200));

    assertThatThrownBy(() -> begin("500ms"))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.problem().type()).isEqualTo("https://taskbound.dev/problems/malformed-request");
          assertThat(e.problem().detail()).contains("ttl must be at least 2s");
        });
  }

  @Test
  void lostClientsTaskIsAbandonedAfterThreeMissedRenewalsNotTenMinutes() {
    BeginTaskResponse lost = begin("1h");
    BeginTaskResponse renewing = begin("1h");

    clock.advance(Duration.ofSeconds(59));
    client.renew(renewing.taskId(), renewing.controlToken());
    issuer.reaper().reap();
    assertThat(task(lost).active()).as("59 s: inside 3 x 20 s").isTrue();

    clock.advance(Duration.ofSeconds(2));
    issuer.reaper().reap();
    assertThat(task(lost).outcome()).isEqualTo(TaskOutcome.ABANDONED);
    assertThat(task(renewing).active()).as("renewed 2 s ago").isTrue();
  }

  @Test
  void sessionRenewsWhenToldAndSchedulesNothingOnceToldNoFurtherRenewal() {
    StepScheduler scheduler = new StepScheduler(clock);
    TaskSession session = TaskSession.begin(client, devAttestation(), sessionOptions("30s"), clock, scheduler);
    List<Svids> rotations = new CopyOnWriteArrayList<>();
    session.addListener(rotations::add);

    scheduler.runNext();
    scheduler.runNext();

    assertThat(rotations).hasSize(2);
    assertThat(session.current().renewAfter()).isEqualTo(session.current().expiresAt());
    assertThat(scheduler.pending()).as("no renewal after no further renewal").isEmpty();
    assertThat(session.end(TaskOutcome.SUCCEEDED, null).ended()).isTrue();
    scheduler.shutdownNow();
  }

  @Test
  void sessionStopsRenewingATaskTheIssuerRefuses() {
    StepScheduler scheduler = new StepScheduler(clock);
    TaskSession session = TaskSession.begin(client, devAttestation(), sessionOptions("1h"), clock, scheduler);
    List<Instant> retries = new CopyOnWriteArrayList<>();
    List<Integer> statuses = new CopyOnWriteArrayList<>();
    session.addListener(new SvidListener() {
      @Override
      public void rotated(Svids svids) {}

      @Override
      public void renewalFailed(IssuerException error, Instant nextAttempt) {
        statuses.add(error.status());
        retries.add(nextAttempt == null ? Instant.EPOCH : nextAttempt);
      }
    });
    issuer.tasks().endAsOperator(session.taskId(), TaskOutcome.REVOKED, "operator");

    scheduler.runNext();

    assertThat(statuses).containsExactly(409);
    assertThat(retries).as("told: never again").containsExactly(Instant.EPOCH);
    assertThat(scheduler.pending()).isEmpty();
    scheduler.shutdownNow();
  }

  private Attestation devAttestation() {
    return new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5)));
  }

  private static SessionOptions sessionOptions(String ttl) {
    return SessionOptions.defaults().withTtl(ttl).withAudiences(List.of("vault")).withCredentialDir(CredentialDirectory.NONE);
  }

  /** Runs nothing by itself: {@link #runNext} moves the clock to the earliest scheduled task and runs it. */
  static final class StepScheduler extends ScheduledThreadPoolExecutor {
    private record Due(Instant at, Runnable task) {}

    private final MutableClock clock;
    private final List<Due> due = new CopyOnWriteArrayList<>();

    StepScheduler(MutableClock clock) {
      super(1);
      this.clock = clock;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
      due.add(new Due(clock.instant().plusMillis(unit.toMillis(delay)), task));
      return super.schedule(() -> {}, 1, TimeUnit.DAYS);
    }

    List<Instant> pending() {
      return due.stream().map(Due::at).toList();
    }

    void runNext() {
      Due next = due.stream().min(Comparator.comparing(Due::at)).orElseThrow(() -> new AssertionError("nothing scheduled"));
      due.remove(next);
      clock.set(next.at());
      next.task().run();
    }
  }

  private BeginTaskResponse begin(String ttl) {
    return client.begin(devAttestation(), TaskKey.generate(), List.of("vault"), ttl);
  }

  private TaskRecord task(BeginTaskResponse begun) {
    return issuer.store().findTask(begun.taskId()).orElseThrow();
  }
}
