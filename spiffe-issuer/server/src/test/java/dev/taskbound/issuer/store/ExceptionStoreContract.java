package dev.taskbound.issuer.store;

import static dev.taskbound.issuer.store.Fixtures.T0;
import static dev.taskbound.issuer.store.Fixtures.activeTask;
import static dev.taskbound.issuer.store.Fixtures.jwt;
import static dev.taskbound.issuer.store.Fixtures.x509;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link Store} contract of the standing-exception register and the audit report's reads, on each database
 * ({@link SqliteExceptionStoreContractTest}, {@link PostgresExceptionStoreContractTest}): the same cases against
 * both, as {@link StoreContract} does for the rest of the store.
 */
abstract class ExceptionStoreContract {
  private static final int THREADS = 16;
  private static final ExceptionRecord.Actor ALICE = new ExceptionRecord.Actor("https://idp.example", "alice@example.com");
  private static final ExceptionRecord.Actor BOB = new ExceptionRecord.Actor("cli", "bob");

  @TempDir Path tempDir;

  abstract Database database();

  private ScratchDatabase db;
  private Store store;

  @BeforeEach
  void openStore() {
    db = database() == Database.SQLITE ? ScratchDatabase.sqlite(tempDir) : ScratchDatabase.postgres();
    store = db.store;
  }

  @AfterEach
  void closeStore() {
    if (db != null) {
      db.close();
    }
  }

  private static ExceptionRecord exception(String id, Instant createdAt, Instant expiresAt) {
    return ExceptionRecord.added(
        id, "AWS IAM user deploy-bot (AKIA…7QX)", "prod account 1234: s3:PutObject on releases", "platform-team",
        "the release job still signs with a static key", createdAt, ALICE, expiresAt);
  }

  private static <T> Write<T> marker(T value) {
    return Write.of("alongside", c -> value);
  }

  @Test
  void anExceptionRoundTripsFieldForFieldAndListsNewestFirst() {
    ExceptionRecord a = exception("exc_a", T0, T0.plus(Duration.ofDays(30)));
    ExceptionRecord b = exception("exc_b", T0.plusSeconds(5), T0.plus(Duration.ofDays(60)));
    assertThat(store.insertException(a, marker("logged"))).isEqualTo("logged");
    store.insertException(b, marker(1));

    assertThat(store.findException("exc_a")).contains(a);
    assertThat(store.findException("exc_none")).isEmpty();
    assertThat(store.listExceptions(10)).containsExactly(b, a);
    assertThat(store.listExceptions(1)).containsExactly(b);
  }

  @Test
  void aFailingAlongsideWriteLeavesNoException() {
    Write<Object> failing = Write.of("evidence", c -> {
      throw new SQLException("log unavailable");
    });
    assertThatThrownBy(() -> store.insertException(exception("exc_f", T0, T0.plusSeconds(60)), failing))
        .isInstanceOf(StoreException.class);
    assertThat(store.findException("exc_f")).isEmpty();
    store.insertException(exception("exc_g", T0, T0.plusSeconds(600)), marker(1));
    ExceptionRecord seen = store.findException("exc_g").orElseThrow();
    assertThatThrownBy(() -> store.revokeException("exc_g", BOB, "gone", T0.plusSeconds(1), failing)).isInstanceOf(StoreException.class);
    assertThat(store.findException("exc_g")).contains(seen);
  }

  @Test
  void aReviewIsOfTheVersionReadAndIsKeptInTheHistory() {
    Instant expires = T0.plus(Duration.ofDays(30));
    store.insertException(exception("exc_r", T0, expires), marker(1));
    ExceptionRecord v1 = store.findException("exc_r").orElseThrow();
    Instant t1 = T0.plus(Duration.ofDays(10));

    assertThat(store.reviewException(v1, BOB, "still needed", null, t1, marker("reviewed"))).hasValue("reviewed");
    ExceptionRecord v2 = store.findException("exc_r").orElseThrow();
    assertThat(v2.version()).isEqualTo(2);
    assertThat(v2.lastReviewedAt()).isEqualTo(t1);
    assertThat(v2.lastReviewedBy()).isEqualTo(BOB);
    assertThat(v2.lastReviewNote()).isEqualTo("still needed");
    assertThat(v2.expiresAt()).isEqualTo(expires);
    // A review of a version that is gone changes nothing and runs nothing alongside.
    assertThat(store.reviewException(v1, ALICE, "stale", null, t1, marker("reviewed"))).isEmpty();
    assertThat(store.findException("exc_r")).contains(v2);

    // Past its expiry only a review that moves the expiry counts; it lets the expiry be signalled again.
    Instant late = expires.plusSeconds(1);
    assertThat(store.signalException("exc_r", 2, ExceptionState.EXPIRED, late, List.of())).isTrue();
    ExceptionRecord signalled = store.findException("exc_r").orElseThrow();
    assertThat(store.reviewException(signalled, BOB, null, null, late, marker(1))).isEmpty();
    Instant renewed = late.plus(Duration.ofDays(20));
    assertThat(store.reviewException(signalled, BOB, "renewed for Q3", renewed, late, marker(1))).isPresent();
    ExceptionRecord v3 = store.findException("exc_r").orElseThrow();
    assertThat(v3.expiresAt()).isEqualTo(renewed);
    assertThat(v3.expiredSignalledAt()).isNull();

    assertThat(store.exceptionReviews(T0, late.plusMillis(1)))
        .containsExactly(
            new ExceptionReview("exc_r", 2, t1, BOB, "still needed", expires, expires),
            new ExceptionReview("exc_r", 3, late, BOB, "renewed for Q3", expires, renewed));
    assertThat(store.exceptionReviews(t1.plusMillis(1), late)).isEmpty();
  }

  @Test
  void anExceptionIsRevokedOnceAndThenNeitherReviewedNorSignalled() {
    store.insertException(exception("exc_v", T0, T0.plusSeconds(600)), marker(1));
    ExceptionRecord seen = store.findException("exc_v").orElseThrow();
    Instant at = T0.plusSeconds(60);
    assertThat(store.revokeException("exc_v", ALICE, "key deleted", at, marker("revoked"))).hasValue("revoked");
    assertThat(store.revokeException("exc_v", BOB, "again", at, marker("revoked"))).isEmpty();
    ExceptionRecord revoked = store.findException("exc_v").orElseThrow();
    assertThat(revoked.revokedAt()).isEqualTo(at);
    assertThat(revoked.revokedBy()).isEqualTo(ALICE);
    assertThat(revoked.revokeReason()).isEqualTo("key deleted");
    assertThat(revoked.version()).isEqualTo(2);
    assertThat(store.reviewException(revoked, BOB, null, T0.plusSeconds(900), at, marker(1))).isEmpty();
    assertThat(store.reviewException(seen, BOB, null, null, at, marker(1))).isEmpty();
    assertThat(store.signalException("exc_v", 2, ExceptionState.EXPIRED, T0.plusSeconds(700), List.of())).isFalse();
  }

  @Test
  void eachConditionIsSignalledOnceWithItsDeliveriesAndAReviewClearsUnreviewed() {
    store.insertException(exception("exc_s", T0, T0.plus(Duration.ofDays(80))), marker(1));
    Instant at = T0.plus(Duration.ofDays(31));
    SignalDeliveryRecord set =
        new SignalDeliveryRecord("d-1", "https://receiver.example/ssf", "exc_s", "eyJ.set.sig", 0, at, at);

    assertThat(store.signalException("exc_s", 1, ExceptionState.UNREVIEWED, at, List.of(set))).isTrue();
    assertThat(store.signalException("exc_s", 1, ExceptionState.UNREVIEWED, at, List.of(set))).isFalse();
    assertThat(store.dueSignalDeliveries(at, 10)).containsExactly(set);
    assertThat(store.findException("exc_s").orElseThrow().unreviewedSignalledAt()).isEqualTo(at);
    assertThatThrownBy(() -> store.signalException("exc_s", 1, ExceptionState.ACTIVE, at, List.of()))
        .isInstanceOf(IllegalArgumentException.class);

    ExceptionRecord seen = store.findException("exc_s").orElseThrow();
    store.reviewException(seen, BOB, null, null, at.plusSeconds(1), marker(1));
    ExceptionRecord reviewed = store.findException("exc_s").orElseThrow();
    assertThat(reviewed.unreviewedSignalledAt()).isNull();
    assertThat(store.signalException("exc_s", 1, ExceptionState.UNREVIEWED, at, List.of())).as("an old version").isFalse();
    assertThat(store.signalException("exc_s", reviewed.version(), ExceptionState.UNREVIEWED, at, List.of())).isTrue();
  }

  @Test
  void ofConcurrentReviewsOfOneVersionExactlyOneIsRecorded() throws Exception {
    store.insertException(exception("exc_c", T0, T0.plus(Duration.ofDays(30))), marker(1));
    ExceptionRecord seen = store.findException("exc_c").orElseThrow();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        ExceptionRecord.Actor who = new ExceptionRecord.Actor("cli", "reviewer-" + i);
        results.add(pool.submit(() -> {
          start.await();
          return store.reviewException(seen, who, null, null, T0.plusSeconds(10), marker(true)).isPresent();
        }));
      }
      start.countDown();
      int wins = 0;
      for (Future<Boolean> f : results) {
        wins += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(wins).isEqualTo(1);
      assertThat(store.findException("exc_c").orElseThrow().version()).isEqualTo(2);
      assertThat(store.exceptionReviews(T0, T0.plusSeconds(11))).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void operatorCommandsKeepTheirEvidenceUntilOneCallerTakesIt() {
    Instant at = T0.plusSeconds(1);
    store.insertException(exception("exc_p", T0, T0.plusSeconds(600)), Store.exceptionEvidencePending("exc_p", "exception.added", "{\"a\":1}", T0));
    ExceptionRecord seen = store.findException("exc_p").orElseThrow();
    store.revokeException("exc_p", BOB, "gone", at, Store.exceptionEvidencePending("exc_p", "exception.revoked", "{\"b\":2}", at));

    assertThat(store.pendingExceptionEvidence(10))
        .containsExactly(
            new PendingExceptionEvidence("exc_p", 1, "exception.added", "{\"a\":1}", T0),
            new PendingExceptionEvidence("exc_p", 2, "exception.revoked", "{\"b\":2}", at));
    assertThat(seen.version()).isEqualTo(1);
    assertThat(store.takeExceptionEvidence("exc_p", 1, marker("appended"))).hasValue("appended");
    assertThat(store.takeExceptionEvidence("exc_p", 1, marker("appended"))).isEmpty();
    assertThat(store.pendingExceptionEvidence(10)).extracting(PendingExceptionEvidence::version).containsExactly(2);
  }

  @Test
  void theAuditReadsStreamThePeriodOnly() {
    store.insertTask(activeTask("before", T0.minusSeconds(1)), List.of(x509("before", "b1", T0)));
    store.insertTask(activeTask("in-1", T0), List.of(x509("in-1", "c1", T0), jwt("in-1", "j1", "vault", T0)));
    TaskRecord githubLike =
        new TaskRecord(
            "in-2", TaskState.ACTIVE, "spiffe://example.org/x", "oidc", Map.of("platform", "gitlab"), null, null, "{}", "tp",
            "ctl-2", List.of(), T0.plusSeconds(5), T0.plusSeconds(3600), null, null, null, null);
    store.insertTask(githubLike, List.of(jwt("in-2", "j2", "sts", T0.plusSeconds(5))));
    store.insertTask(activeTask("after", T0.plusSeconds(10)), List.of());
    store.endTask("in-1", TaskOutcome.FAILED, null, T0.plusSeconds(7));

    List<AuditRows.Task> tasks = new ArrayList<>();
    store.forEachTaskBegun(T0, T0.plusSeconds(10), tasks::add);
    assertThat(tasks)
        .containsExactly(
            new AuditRows.Task("in-1", "github", "github", TaskState.ENDED, TaskOutcome.FAILED, T0, T0.plusSeconds(7)),
            new AuditRows.Task("in-2", "oidc", "gitlab", TaskState.ACTIVE, null, T0.plusSeconds(5), null));

    List<AuditRows.Credential> credentials = new ArrayList<>();
    store.forEachCredentialOfTasksBegun(T0, T0.plusSeconds(10), credentials::add);
    assertThat(credentials)
        .containsExactlyInAnyOrder(
            new AuditRows.Credential("in-1", CredentialKind.X509_SVID, T0, T0.plusSeconds(600), T0.plusSeconds(7), T0.plusSeconds(7)),
            new AuditRows.Credential("in-1", CredentialKind.JWT_SVID, T0, T0.plusSeconds(300), T0.plusSeconds(7), T0.plusSeconds(7)),
            new AuditRows.Credential("in-2", CredentialKind.JWT_SVID, T0.plusSeconds(5), T0.plusSeconds(305), null, null));
    // The store's connections stay usable (the streamed read is over) and writes go on.
    store.insertTask(activeTask("later", T0.plusSeconds(20)), List.of());
    assertThat(store.findTask("later")).isPresent();
  }
}
