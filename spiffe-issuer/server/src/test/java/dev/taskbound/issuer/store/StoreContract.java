package dev.taskbound.issuer.store;

import dev.taskbound.issuer.testing.ScratchDatabase;

import static dev.taskbound.issuer.store.Fixtures.T0;
import static dev.taskbound.issuer.store.Fixtures.activeTask;
import static dev.taskbound.issuer.store.Fixtures.jwt;
import static dev.taskbound.issuer.store.Fixtures.jwtKey;
import static dev.taskbound.issuer.store.Fixtures.x509;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.api.TaskOutcome;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link Store} contract. Parameterised by database through one subclass per database
 * ({@link SqliteStoreContractTest}, {@link PostgresStoreContractTest}), so every case runs against both and
 * Surefire reports each database's count on its own.
 */
abstract class StoreContract {
  private static final int THREADS = 16;

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

  // ---- end receipts --------------------------------------------------------------------------------------

  @Test
  void anEndReceiptIsKeptOnceAndOnlyForAnEndedTask() {
    store.insertTask(activeTask("r1", T0), List.of());
    store.insertTask(activeTask("r2", T0), List.of());
    assertThat(store.saveEndReceipt("r1", "{\"a\":1}")).as("active task").isFalse();
    assertThat(store.endedWithoutReceipt(10)).isEmpty();

    store.endTask("r1", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(5));
    store.endTask("r2", TaskOutcome.FAILED, null, T0.plusSeconds(3));
    assertThat(store.endedWithoutReceipt(10)).extracting(TaskRecord::taskId).containsExactly("r2", "r1");

    assertThat(store.saveEndReceipt("r1", "{\"a\":1}")).isTrue();
    assertThat(store.saveEndReceipt("r1", "{\"b\":2}")).as("second receipt").isFalse();
    assertThat(store.endReceipt("r1")).contains("{\"a\":1}");
    assertThat(store.endReceipt("r2")).isEmpty();
    assertThat(store.endReceipt("nope")).isEmpty();
    assertThat(store.endedWithoutReceipt(10)).extracting(TaskRecord::taskId).containsExactly("r2");
  }

  // ---- tasks ---------------------------------------------------------------------------------------------

  @Test
  void insertedTaskAndCredentialsComeBackFieldForField() {
    TaskRecord task = activeTask("t1", T0);
    CredentialRecord svid = x509("t1", "0a1b2c", T0);
    CredentialRecord jwtSvid = jwt("t1", "jti-1", "vault", T0.plusMillis(1));
    CredentialRecord downstream =
        new CredentialRecord(
            "t1", CredentialKind.DOWNSTREAM_TOKEN, "jti-2", "sts.amazonaws.com", T0, T0.plusSeconds(60),
            T0.plusSeconds(30));

    store.insertTask(task, List.of(svid, jwtSvid, downstream));

    assertThat(store.findTask("t1")).contains(task);
    assertThat(store.credentialsOf("t1")).containsExactly(svid, jwtSvid, downstream);
  }

  @Test
  void endedTaskFieldsRoundTripToo() {
    TaskRecord ended =
        new TaskRecord(
            "t-ended", TaskState.ENDED, "spiffe://example.org/x", "jenkins", Map.of(), null, null, "{}", "tp",
            "ctl", List.of(), T0, T0.plusSeconds(60), T0.plusSeconds(10), T0.plusSeconds(20),
            TaskOutcome.TIMED_OUT, "step timed out");

    store.insertTask(ended, List.of());

    assertThat(store.findTask("t-ended")).contains(ended);
    assertThat(store.findTask("unknown")).isEmpty();
    assertThat(store.credentialsOf("unknown")).isEmpty();
  }

  @Test
  void insertTaskIsAtomicWhenACredentialIsRejected() {
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "serial-1", T0)));

    // Same serial again: the credential insert fails, so the second task must not exist either.
    assertThatThrownBy(() -> store.insertTask(activeTask("t2", T0), List.of(x509("t2", "serial-1", T0))))
        .isInstanceOf(StoreException.class)
        .hasMessageNotContaining("serial-1");
    assertThat(store.findTask("t2")).isEmpty();
    assertThat(store.credentialsOf("t2")).isEmpty();
  }

  @Test
  void listTasksFiltersByStateAndReturnsMostRecentFirst() {
    store.insertTask(activeTask("old", T0), List.of());
    store.insertTask(activeTask("mid", T0.plusSeconds(1)), List.of());
    store.insertTask(activeTask("new", T0.plusSeconds(2)), List.of());
    store.endTask("mid", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(5));

    assertThat(store.listTasks(null, 10)).extracting(TaskRecord::taskId).containsExactly("new", "mid", "old");
    assertThat(store.listTasks(TaskState.ACTIVE, 10)).extracting(TaskRecord::taskId).containsExactly("new", "old");
    assertThat(store.listTasks(TaskState.ENDED, 10)).extracting(TaskRecord::taskId).containsExactly("mid");
    assertThat(store.listTasks(null, 2)).extracting(TaskRecord::taskId).containsExactly("new", "mid");
  }

  @Test
  void renewalOfActiveTaskRecordsTimeAndAppendsCredentialsInIssueOrder() {
    CredentialRecord first = x509("t1", "s1", T0);
    store.insertTask(activeTask("t1", T0), List.of(first));
    Instant renewedAt = T0.plusSeconds(300);
    CredentialRecord second = x509("t1", "s2", renewedAt);
    CredentialRecord third = jwt("t1", "j2", "vault", renewedAt);

    assertThat(store.recordRenewal("t1", renewedAt, List.of(second, third))).isTrue();

    assertThat(store.findTask("t1")).get().extracting(TaskRecord::lastRenewedAt).isEqualTo(renewedAt);
    assertThat(store.credentialsOf("t1")).containsExactly(first, second, third);
  }

  @Test
  void renewalOfEndedTaskReturnsFalseAndChangesNothing() {
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "s1", T0)));
    TaskRecord ended = store.endTask("t1", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(10)).orElseThrow();
    List<CredentialRecord> credentialsAtEnd = store.credentialsOf("t1");

    assertThat(store.recordRenewal("t1", T0.plusSeconds(20), List.of(x509("t1", "s2", T0.plusSeconds(20)))))
        .isFalse();

    assertThat(store.findTask("t1")).contains(ended);
    assertThat(store.credentialsOf("t1")).isEqualTo(credentialsAtEnd);
    assertThat(store.recordRenewal("no-such-task", T0, List.of())).isFalse();
  }

  @Test
  void endTaskRevokesEveryUnrevokedCredentialAtEndedAt() {
    Instant earlierRevocation = T0.plusSeconds(5);
    CredentialRecord alreadyRevoked =
        new CredentialRecord("t1", CredentialKind.DOWNSTREAM_TOKEN, "d1", "vault", T0, T0.plusSeconds(60),
            earlierRevocation);
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "s1", T0), alreadyRevoked));
    store.recordRenewal("t1", T0.plusSeconds(30), List.of(jwt("t1", "j1", "vault", T0.plusSeconds(30))));
    store.insertTask(activeTask("other", T0), List.of(x509("other", "s9", T0)));
    Instant endedAt = T0.plusSeconds(100);

    TaskRecord ended = store.endTask("t1", TaskOutcome.FAILED, "tests failed", endedAt).orElseThrow();

    assertThat(ended.state()).isEqualTo(TaskState.ENDED);
    assertThat(ended.outcome()).isEqualTo(TaskOutcome.FAILED);
    assertThat(ended.endReason()).isEqualTo("tests failed");
    assertThat(ended.endedAt()).isEqualTo(endedAt);
    assertThat(store.findTask("t1")).contains(ended);
    assertThat(store.credentialsOf("t1"))
        .extracting(CredentialRecord::credentialId, CredentialRecord::revokedAt)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("s1", endedAt),
            org.assertj.core.groups.Tuple.tuple("d1", earlierRevocation),
            org.assertj.core.groups.Tuple.tuple("j1", endedAt));
    assertThat(store.credentialsOf("other")).extracting(CredentialRecord::revokedAt).containsOnlyNulls();
  }

  @Test
  void secondEndReturnsTheTaskUnchangedWithTheFirstOutcome() {
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "s1", T0)));
    TaskRecord first = store.endTask("t1", TaskOutcome.SUCCEEDED, "done", T0.plusSeconds(10)).orElseThrow();

    TaskRecord second = store.endTask("t1", TaskOutcome.ABANDONED, "reaper", T0.plusSeconds(99)).orElseThrow();

    assertThat(second).isEqualTo(first);
    assertThat(store.credentialsOf("t1")).extracting(CredentialRecord::revokedAt)
        .containsExactly(T0.plusSeconds(10));
    assertThat(store.endTask("no-such-task", TaskOutcome.FAILED, null, T0)).isEmpty();
  }

  @Test
  void concurrentEndsAgreeOnOneOutcome() throws Exception {
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "s1", T0)));
    TaskOutcome[] outcomes = TaskOutcome.values();

    List<TaskRecord> results =
        race(i -> store.endTask("t1", outcomes[i % outcomes.length], "r" + i, T0.plusSeconds(i + 1)).orElseThrow());

    TaskRecord stored = store.findTask("t1").orElseThrow();
    assertThat(results).allSatisfy(r -> assertThat(r).isEqualTo(stored));
    assertThat(store.credentialsOf("t1")).extracting(CredentialRecord::revokedAt)
        .containsExactly(stored.endedAt());
  }

  @Test
  void overdueTasksAreActiveTasksWithMissedHeartbeatOrPastLifetime() {
    Instant now = T0.plusSeconds(3600);
    Instant heartbeatDeadline = now.minusSeconds(600);
    // created long ago, never renewed: heartbeat missed
    store.insertTask(activeTask("silent", T0), List.of());
    // created long ago, renewed recently: healthy
    store.insertTask(activeTask("renewed", T0.plusMillis(1)), List.of());
    store.recordRenewal("renewed", now.minusSeconds(60), List.of());
    // renewed recently but its lifetime (created + 1h) ends exactly now: expired
    store.insertTask(activeTask("expired", T0), List.of());
    store.recordRenewal("expired", now.minusSeconds(30), List.of());
    // young and healthy
    store.insertTask(activeTask("fresh", now.minusSeconds(60)), List.of());
    // overdue but already ended: not the reaper's business
    store.insertTask(activeTask("ended", T0), List.of());
    store.endTask("ended", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(1));

    assertThat(store.overdueTasks(heartbeatDeadline, now, 10))
        .extracting(TaskRecord::taskId)
        .containsExactlyInAnyOrder("silent", "expired");
    assertThat(store.overdueTasks(heartbeatDeadline, now, 1)).hasSize(1);
  }

  // ---- token exchange ([3/7]) -----------------------------------------------------------------------------

  private static CredentialRecord downstream(String taskId, String jti, Instant at) {
    return new CredentialRecord(taskId, CredentialKind.DOWNSTREAM_TOKEN, jti, "sts.amazonaws.com", at, at.plusSeconds(300), null);
  }

  @Test
  void exchangeGrantIsStoredWithTheTask() {
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "s1", T0)), ExchangeGrant.of("t1", List.of("sts.amazonaws.com", "vault"), 2));
    store.insertTask(activeTask("dev", T0), List.of(), ExchangeGrant.of("dev", List.of(), null));
    store.insertTask(activeTask("old", T0), List.of());

    assertThat(store.findExchangeGrant("t1")).contains(new ExchangeGrant("t1", List.of("sts.amazonaws.com", "vault"), 2, 0));
    assertThat(store.findExchangeGrant("dev")).contains(new ExchangeGrant("dev", List.of(), null, 0));
    assertThat(store.findExchangeGrant("old")).isEmpty();
    assertThat(store.credentialsOf("t1")).hasSize(1);
  }

  @Test
  void exchangesAreCountedUpToTheLimitAndRecordedAsCredentials() {
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "s1", T0)), ExchangeGrant.of("t1", List.of("sts.amazonaws.com"), 2));
    Instant now = T0.plusSeconds(10);

    assertThat(store.recordExchange("t1", downstream("t1", "d1", now), now)).isEqualTo(ExchangeRecorded.RECORDED);
    assertThat(store.recordExchange("t1", downstream("t1", "d2", now), now)).isEqualTo(ExchangeRecorded.RECORDED);
    assertThat(store.recordExchange("t1", downstream("t1", "d3", now), now)).isEqualTo(ExchangeRecorded.LIMIT_REACHED);

    assertThat(store.findExchangeGrant("t1").orElseThrow().exchanges()).isEqualTo(2);
    assertThat(store.credentialsOf("t1")).extracting(CredentialRecord::credentialId).containsExactly("s1", "d1", "d2");
    assertThat(store.findCredential(CredentialKind.DOWNSTREAM_TOKEN, "d2")).contains(downstream("t1", "d2", now));
    // A task without a grant may not exchange at all.
    store.insertTask(activeTask("old", T0), List.of());
    assertThat(store.recordExchange("old", downstream("old", "d9", now), now)).isEqualTo(ExchangeRecorded.LIMIT_REACHED);
  }

  @Test
  void endedOrExpiredTasksRecordNoExchange() {
    store.insertTask(activeTask("t1", T0), List.of(), ExchangeGrant.of("t1", List.of("a"), null));
    store.insertTask(activeTask("t2", T0), List.of(), ExchangeGrant.of("t2", List.of("a"), null));
    store.endTask("t1", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(5));
    Instant pastLifetime = T0.plusSeconds(3600);

    assertThat(store.recordExchange("t1", downstream("t1", "d1", T0), T0.plusSeconds(6))).isEqualTo(ExchangeRecorded.TASK_NOT_ACTIVE);
    assertThat(store.recordExchange("t2", downstream("t2", "d2", T0), pastLifetime)).isEqualTo(ExchangeRecorded.TASK_NOT_ACTIVE);
    assertThat(store.recordExchange("none", downstream("none", "d3", T0), T0)).isEqualTo(ExchangeRecorded.TASK_NOT_ACTIVE);
    assertThat(store.findExchangeGrant("t1").orElseThrow().exchanges()).isZero();
    assertThat(store.findCredential(CredentialKind.DOWNSTREAM_TOKEN, "d1")).isEmpty();
  }

  @Test
  void concurrentExchangesNeverExceedTheLimit() throws Exception {
    store.insertTask(activeTask("t1", T0), List.of(), ExchangeGrant.of("t1", List.of("a"), 5));
    Instant now = T0.plusSeconds(1);

    List<ExchangeRecorded> results = race(i -> store.recordExchange("t1", downstream("t1", "d" + i, now), now));

    assertThat(results).filteredOn(r -> r == ExchangeRecorded.RECORDED).hasSize(5);
    assertThat(store.credentialsOf("t1")).hasSize(5);
    assertThat(store.findExchangeGrant("t1").orElseThrow().exchanges()).isEqualTo(5);
  }

  @Test
  void endRevokesDownstreamTokensRecordedByExchange() {
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "s1", T0)), ExchangeGrant.of("t1", List.of("a"), null));
    store.recordExchange("t1", downstream("t1", "d1", T0), T0);
    Instant endedAt = T0.plusSeconds(20);

    store.endTask("t1", TaskOutcome.SUCCEEDED, null, endedAt);

    assertThat(store.findCredential(CredentialKind.DOWNSTREAM_TOKEN, "d1").orElseThrow().revokedAt()).isEqualTo(endedAt);
    assertThat(store.revokedCredentials(Instant.EPOCH, T0.plusSeconds(30)))
        .extracting(CredentialRecord::credentialId)
        .containsExactlyInAnyOrder("s1", "d1");
    // Expired revocations are not listed; nor are those revoked before the given instant.
    assertThat(store.revokedCredentials(Instant.EPOCH, T0.plusSeconds(600))).isEmpty();
    assertThat(store.revokedCredentials(endedAt.plusMillis(1), T0.plusSeconds(30))).isEmpty();
    // The count answers for the same window without reading the rows.
    assertThat(store.countRevokedCredentials(Instant.EPOCH, T0.plusSeconds(30))).isEqualTo(2);
    assertThat(store.countRevokedCredentials(endedAt, T0.plusSeconds(30))).isEqualTo(2);
    assertThat(store.countRevokedCredentials(Instant.EPOCH, T0.plusSeconds(600))).isZero();
    assertThat(store.countRevokedCredentials(endedAt.plusMillis(1), T0.plusSeconds(30))).isZero();
  }

  @Test
  void oneCredentialIsRevokedOnce() {
    store.insertTask(activeTask("t1", T0), List.of(), ExchangeGrant.of("t1", List.of("a"), null));
    store.recordExchange("t1", downstream("t1", "d1", T0), T0);

    assertThat(store.revokeCredential(CredentialKind.DOWNSTREAM_TOKEN, "d1", T0.plusSeconds(1))).isTrue();
    assertThat(store.revokeCredential(CredentialKind.DOWNSTREAM_TOKEN, "d1", T0.plusSeconds(2))).isFalse();
    assertThat(store.revokeCredential(CredentialKind.JWT_SVID, "d1", T0.plusSeconds(2))).isFalse();
    assertThat(store.findCredential(CredentialKind.DOWNSTREAM_TOKEN, "d1").orElseThrow().revokedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(store.findTask("t1").orElseThrow().active()).isTrue();
  }

  @Test
  void downstreamKeysAreKeptApartFromTheBundle() {
    long sequence = store.bundleSequence();
    BundleKeyRecord key =
        new BundleKeyRecord("dk1", "downstream-rs256", "RS256", KeyState.ACTIVE, "{\"kty\":\"RSA\"}", T0, T0, null, null, null);

    store.putDownstreamKey(key);
    store.putDownstreamKey(key);

    assertThat(store.downstreamKeys()).containsExactly(key);
    assertThat(store.bundleKeys()).isEmpty();
    assertThat(store.bundleSequence()).isEqualTo(sequence);
    store.removeDownstreamKey("dk1");
    store.removeDownstreamKey("dk1");
    assertThat(store.downstreamKeys()).isEmpty();
  }

  // ---- trust bundle ----------------------------------------------------------------------------------------

  @Test
  void everyBundleChangeIncrementsTheSequence() {
    assertThat(store.bundleSequence()).isZero();
    BundleKeyRecord prepared = jwtKey("k1", KeyState.PREPARED);

    assertThat(store.putBundleKey(prepared)).isEqualTo(1);
    assertThat(store.putBundleKey(jwtKey("k2", KeyState.ACTIVE))).isEqualTo(2);
    BundleKeyRecord activated = jwtKey("k1", KeyState.ACTIVE);
    assertThat(store.putBundleKey(activated)).isEqualTo(3);
    assertThat(store.bundleKeys()).hasSize(2).contains(activated).doesNotContain(prepared);

    assertThat(store.removeBundleKey("k2")).isEqualTo(4);
    assertThat(store.bundleKeys()).containsExactly(activated);
    assertThat(store.bundleSequence()).isEqualTo(4);
  }

  @Test
  void removingAnAbsentKeyLeavesTheSequenceAlone() {
    store.putBundleKey(jwtKey("k1", KeyState.ACTIVE));

    assertThat(store.removeBundleKey("nope")).isEqualTo(1);
    assertThat(store.bundleSequence()).isEqualTo(1);
  }

  @Test
  void x509AuthorityRoundTrips() {
    BundleKeyRecord ca =
        new BundleKeyRecord("ca-1", "x509-svid", "ES256", KeyState.RETIRED, "-----BEGIN CERTIFICATE-----\n...",
            T0, T0.plusSeconds(1), T0.plusSeconds(2), T0.plusSeconds(3), T0.plusSeconds(4));
    store.putBundleKey(ca);
    assertThat(store.bundleKeys()).containsExactly(ca);
  }

  // ---- one-time tokens and replay --------------------------------------------------------------------------

  @Test
  void oneTimeTokenIsConsumedExactlyOnce() {
    store.insertOneTimeToken("sha-a", "nonce", T0.plusSeconds(60));

    assertThat(store.consumeOneTimeToken("sha-a", "other-purpose", T0)).isFalse();
    assertThat(store.consumeOneTimeToken("sha-a", "nonce", T0)).isTrue();
    assertThat(store.consumeOneTimeToken("sha-a", "nonce", T0)).isFalse();
    assertThat(store.consumeOneTimeToken("never-issued", "nonce", T0)).isFalse();
  }

  @Test
  void beginningATaskSpendsItsAttestationInTheSameTransaction() {
    AttestationUse jti = new AttestationUse.Jti("iss", "spend-1", T0.plusSeconds(60));
    assertThat(store.insertTask(activeTask("s1", T0), List.of(), ExchangeGrant.of("s1", List.of(), null), jti, T0)).isTrue();
    assertThat(store.insertTask(activeTask("s2", T0), List.of(), ExchangeGrant.of("s2", List.of(), null), jti, T0)).isFalse();
    assertThat(store.findTask("s2")).isEmpty();
    assertThat(store.consume(jti, T0)).isFalse();

    // An insert that fails (the task id exists) rolls the spending back with it.
    AttestationUse token = new AttestationUse.OneTimeToken("sha-spend", "nonce");
    store.insertOneTimeToken("sha-spend", "nonce", T0.plusSeconds(60));
    assertThatThrownBy(() -> store.insertTask(activeTask("s1", T0), List.of(), ExchangeGrant.of("s1", List.of(), null), token, T0))
        .isInstanceOf(StoreException.class);
    assertThat(store.consume(token, T0)).isTrue();
  }

  @Test
  void aBeginRecordsItsTaskGrantAndCredentialsFieldForFieldThenWhatGoesAlongside() {
    TaskRecord task = activeTask("f1", T0);
    List<CredentialRecord> credentials = List.of(
        x509("f1", "0a1b2c", T0),
        jwt("f1", "jti-f1", "vault", T0.plusMillis(1)),
        new CredentialRecord("f1", CredentialKind.DOWNSTREAM_TOKEN, "jti-f2", "sts.amazonaws.com", T0, T0.plusSeconds(60),
            T0.plusSeconds(30)));
    AttestationUse use = new AttestationUse.Jti("iss", "begin-f1", T0.plusSeconds(60));

    Optional<String> alongside = store.insertTask(
        task, credentials, ExchangeGrant.of("f1", List.of("sts.amazonaws.com"), 3), use, T0, Write.of("alongside", c -> "ran"));

    assertThat(alongside).contains("ran");
    assertThat(store.findTask("f1")).contains(task);
    assertThat(store.credentialsOf("f1")).containsExactlyElementsOf(credentials);
    assertThat(store.findExchangeGrant("f1")).contains(new ExchangeGrant("f1", List.of("sts.amazonaws.com"), 3, 0));
    assertThat(store.consume(use, T0)).as("spent by the begin").isFalse();
    // Issue order goes on after the begin's credentials.
    CredentialRecord renewed = x509("f1", "0a1b2d", T0.plusSeconds(300));
    assertThat(store.recordRenewal("f1", T0.plusSeconds(300), List.of(renewed))).isTrue();
    assertThat(store.credentialsOf("f1")).hasSize(4).endsWith(renewed);
  }

  @Test
  void aBeginWhoseAttestationWasSpentRecordsNothingAndRunsNothingAlongside() {
    store.insertOneTimeToken("sha-spent", "nonce", T0.plusSeconds(60));
    List<AttestationUse> spent =
        List.of(new AttestationUse.Jti("iss", "spent", T0.plusSeconds(60)), new AttestationUse.OneTimeToken("sha-spent", "nonce"));
    for (AttestationUse use : spent) {
      assertThat(store.consume(use, T0)).isTrue();
      AtomicBoolean ran = new AtomicBoolean();

      Optional<String> alongside = store.insertTask(
          activeTask("sp", T0), List.of(x509("sp", "5e", T0), jwt("sp", "jti-sp", "vault", T0)),
          ExchangeGrant.of("sp", List.of("vault"), 1), use, T0, Write.of("alongside", c -> {
            ran.set(true);
            return "ran";
          }));

      assertThat(alongside).as("%s", use).isEmpty();
      assertThat(ran).as("alongside ran for %s", use).isFalse();
      assertThat(store.findTask("sp")).isEmpty();
      assertThat(store.findExchangeGrant("sp")).isEmpty();
      assertThat(store.credentialsOf("sp")).isEmpty();
      assertThat(store.findCredential(CredentialKind.X509_SVID, "5e")).isEmpty();
    }
  }

  @Test
  void ofConcurrentBeginsWithOneAttestationExactlyOneIsRecorded() throws Exception {
    AttestationUse jti = new AttestationUse.Jti("iss", "spend-race", T0.plusSeconds(60));
    List<Boolean> results =
        race(i -> store.insertTask(activeTask("sr" + i, T0), List.of(), ExchangeGrant.of("sr" + i, List.of(), null), jti, T0));

    assertThat(results).containsOnlyOnce(true).hasSize(THREADS);
    assertThat(store.listTasks(null, 100)).filteredOn(t -> t.taskId().startsWith("sr")).hasSize(1);
  }

  // ---- the writer: one batch, one transaction, a savepoint per write ----------------------------------------

  @Test
  void aFailingWriteInABatchFailsOnlyItsCaller() throws Exception {
    store.insertOneTimeToken("sha-taken", "nonce", T0.plusSeconds(60));
    store.insertTask(activeTask("b0", T0), List.of());
    store.insertOneTimeToken("sha-b1", "nonce", T0.plusSeconds(60));
    AttestationUse spendable = new AttestationUse.OneTimeToken("sha-b1", "nonce");
    List<Callable<Object>> writes = List.of(
        () -> { store.insertOneTimeToken("sha-1", "nonce", T0.plusSeconds(60)); return "ok"; },
        () -> { store.insertOneTimeToken("sha-taken", "nonce", T0.plusSeconds(60)); return "ok"; },
        // A duplicate task id: its attestation must stay unspent, the rest of the batch unharmed.
        () -> store.insertTask(activeTask("b0", T0), List.of(), ExchangeGrant.of("b0", List.of(), null), spendable, T0),
        () -> { store.insertOneTimeToken("sha-2", "nonce", T0.plusSeconds(60)); return "ok"; },
        () -> store.revokeCredential(CredentialKind.JWT_SVID, "no-such-jti", T0));

    List<Object> outcomes = inOneBatch(writes);

    assertThat(outcomes.get(0)).isEqualTo("ok");
    assertThat(outcomes.get(1)).isInstanceOf(StoreException.class);
    assertThat(outcomes.get(2)).isInstanceOf(StoreException.class);
    assertThat(outcomes.get(3)).isEqualTo("ok");
    assertThat(outcomes.get(4)).as("a row-count answer survives batching").isEqualTo(false);
    assertThat(store.consumeOneTimeToken("sha-1", "nonce", T0)).isTrue();
    assertThat(store.consumeOneTimeToken("sha-2", "nonce", T0)).isTrue();
    assertThat(store.consume(spendable, T0)).as("the failed begin left its attestation unspent").isTrue();
    assertThat(store.consumeOneTimeToken("sha-taken", "nonce", T0)).isTrue();
    assertThat(store.consumeOneTimeToken("sha-taken", "nonce", T0)).isFalse();
  }

  @Test
  void ofBeginsWithOneAttestationInOneBatchExactlyOneIsRecorded() throws Exception {
    store.insertOneTimeToken("sha-batch", "nonce", T0.plusSeconds(60));
    AttestationUse token = new AttestationUse.OneTimeToken("sha-batch", "nonce");
    List<Callable<Object>> begins = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      String id = "ob" + i;
      begins.add(() -> store.insertTask(activeTask(id, T0), List.of(x509(id, Integer.toHexString(0x100 + begins.size()), T0)),
          ExchangeGrant.of(id, List.of(), null), token, T0));
    }

    List<Object> outcomes = inOneBatch(begins);

    assertThat(outcomes).containsOnlyOnce(true).hasSize(THREADS);
    assertThat(store.listTasks(null, 100)).filteredOn(t -> t.taskId().startsWith("ob")).hasSize(1);
  }

  /**
   * Runs {@code writes} on threads of their own while the writer is held, so all of them land in one batch; returns
   * each one's result or the exception it threw, in order.
   */
  private List<Object> inOneBatch(List<Callable<Object>> writes) throws Exception {
    StoreWriter writer = ((JdbcStore) store).writer();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch holding = new CountDownLatch(1);
    var held = writer.submit(Write.of("hold the writer", c -> {
      holding.countDown();
      try {
        return release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }));
    // Only once the writer runs the held write: writes queued before it took it would join its batch (drainTo), and
    // a busy writer (a slow first batch on a loaded machine) made that happen.
    assertThat(holding.await(30, TimeUnit.SECONDS)).as("the writer took the held write").isTrue();
    ExecutorService pool = Executors.newFixedThreadPool(writes.size());
    try {
      List<Future<Object>> futures = new ArrayList<>();
      for (Callable<Object> w : writes) {
        futures.add(pool.submit(() -> {
          try {
            return w.call();
          } catch (Exception e) {
            return e;
          }
        }));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (writer.queued() < writes.size() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(writer.queued()).as("all writes queued behind the held one").isEqualTo(writes.size());
      release.countDown();
      held.get(30, TimeUnit.SECONDS);
      List<Object> out = new ArrayList<>();
      for (Future<Object> f : futures) {
        out.add(f.get(30, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void expiredOneTimeTokenIsNotConsumed() {
    store.insertOneTimeToken("sha-a", "nonce", T0.plusSeconds(60));

    assertThat(store.consumeOneTimeToken("sha-a", "nonce", T0.plusSeconds(60))).isFalse();
    assertThat(store.consumeOneTimeToken("sha-a", "nonce", T0.plusSeconds(61))).isFalse();
  }

  @Test
  void concurrentConsumersOfOneTokenHaveExactlyOneWinner() throws Exception {
    store.insertOneTimeToken("sha-race", "nonce", T0.plusSeconds(60));

    List<Boolean> results = race(i -> store.consumeOneTimeToken("sha-race", "nonce", T0));

    assertThat(results).containsOnlyOnce(true).hasSize(THREADS);
  }

  @Test
  void jtiIsFreshOnceThenReplayedUntilItExpires() {
    Instant exp = T0.plusSeconds(300);

    assertThat(store.rememberJti("https://token.actions.githubusercontent.com", "j1", exp, T0)).isTrue();
    assertThat(store.rememberJti("https://token.actions.githubusercontent.com", "j1", exp, T0.plusSeconds(1)))
        .isFalse();
    assertThat(store.rememberJti("https://jenkins.example", "j1", exp, T0)).isTrue();
    assertThat(store.rememberJti("https://token.actions.githubusercontent.com", "j1", exp.plusSeconds(300), exp))
        .isTrue();
    assertThat(store.rememberJti("https://token.actions.githubusercontent.com", "j1", exp, exp.plusSeconds(1)))
        .isFalse();
  }

  @Test
  void concurrentReplaysOfOneJtiHaveExactlyOneWinner() throws Exception {
    store.rememberJti("iss", "expired-entry", T0, T0.minusSeconds(60));

    List<Boolean> fresh = race(i -> store.rememberJti("iss", "new", T0.plusSeconds(60), T0));
    List<Boolean> reclaimed = race(i -> store.rememberJti("iss", "expired-entry", T0.plusSeconds(60), T0));

    assertThat(fresh).containsOnlyOnce(true);
    assertThat(reclaimed).containsOnlyOnce(true);
  }

  // ---- revocation ------------------------------------------------------------------------------------------

  @Test
  void revokedUnexpiredListsOnlyRevokedCredentialsOfTheKindThatHaveNotExpired() {
    CredentialRecord live = x509("t1", "0a", T0); // expires T0+600s
    CredentialRecord shortLived =
        new CredentialRecord("t1", CredentialKind.X509_SVID, "0b", null, T0, T0.plusSeconds(100), null);
    store.insertTask(activeTask("t1", T0), List.of(live, shortLived, jwt("t1", "j1", "vault", T0)));
    store.insertTask(activeTask("t2", T0), List.of(x509("t2", "0c", T0)));
    Instant endedAt = T0.plusSeconds(50);
    store.endTask("t1", TaskOutcome.SUCCEEDED, null, endedAt);

    assertThat(store.revokedUnexpired(CredentialKind.X509_SVID, T0.plusSeconds(60)))
        .extracting(CredentialRecord::credentialId, CredentialRecord::revokedAt)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("0a", endedAt), org.assertj.core.groups.Tuple.tuple("0b", endedAt));
    // Expired from expiresAt on: 0b leaves at exactly T0+100s.
    assertThat(store.revokedUnexpired(CredentialKind.X509_SVID, T0.plusSeconds(100)))
        .extracting(CredentialRecord::credentialId)
        .containsExactly("0a");
    assertThat(store.revokedUnexpired(CredentialKind.JWT_SVID, T0.plusSeconds(60)))
        .extracting(CredentialRecord::credentialId)
        .containsExactly("j1");
  }

  // ---- operators: the "valid after task end" gauge and admin listing -------------------------------------

  @Test
  void credentialsValidAfterTaskEndAreUnexpiredCredentialsOfEndedTasksSoonestExpiryFirst() {
    // An active task's credentials are never listed, however long they live.
    store.insertTask(activeTask("live", T0), List.of(x509("live", "0l", T0)));
    // Ended at T0+50s: every credential revoked then; 0s expires at T0+100s, j1 at T0+300s, 0a at T0+600s.
    CredentialRecord shortLived =
        new CredentialRecord("t1", CredentialKind.X509_SVID, "0s", null, T0, T0.plusSeconds(100), null);
    store.insertTask(activeTask("t1", T0), List.of(x509("t1", "0a", T0), shortLived, jwt("t1", "j1", "vault", T0)));
    Instant endedAt = T0.plusSeconds(50);
    store.endTask("t1", TaskOutcome.SUCCEEDED, null, endedAt);
    // An ended task whose credential was never revoked (an end that did not reach the credentials): what the
    // gauge's revoked="false" series alerts on.
    TaskRecord endedUnrevoked =
        new TaskRecord(
            "t2", TaskState.ENDED, "spiffe://example.org/x", "jenkins", Map.of(), null, null, "{}", "tp2", "ctl2",
            List.of(), T0, T0.plusSeconds(3600), T0.plusSeconds(10), T0.plusSeconds(20), TaskOutcome.FAILED, null);
    CredentialRecord unrevoked =
        new CredentialRecord("t2", CredentialKind.DOWNSTREAM_TOKEN, "d2", "sts.amazonaws.com", T0, T0.plusSeconds(200), null);
    store.insertTask(endedUnrevoked, List.of(unrevoked));

    assertThat(store.credentialsValidAfterTaskEnd(T0.plusSeconds(60), 100))
        .extracting(CredentialRecord::credentialId, CredentialRecord::taskId, CredentialRecord::revokedAt)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("0s", "t1", endedAt),
            org.assertj.core.groups.Tuple.tuple("d2", "t2", null),
            org.assertj.core.groups.Tuple.tuple("j1", "t1", endedAt),
            org.assertj.core.groups.Tuple.tuple("0a", "t1", endedAt));
    // Expired from expiresAt on: 0s leaves at exactly T0+100s; the limit keeps the soonest.
    assertThat(store.credentialsValidAfterTaskEnd(T0.plusSeconds(100), 2))
        .extracting(CredentialRecord::credentialId)
        .containsExactly("d2", "j1");
    assertThat(store.credentialsValidAfterTaskEnd(T0.plusSeconds(600), 100)).isEmpty();
    assertThatThrownBy(() -> store.credentialsValidAfterTaskEnd(T0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void signalDeliveriesComeDueInOrderAndLeaveWhenDeliveredOrFailed() {
    store.insertSignalDeliveries(
        List.of(delivery("d2", T0.plusSeconds(2)), delivery("d1", T0.plusSeconds(1)), delivery("d3", T0.plusSeconds(30))));

    assertThat(store.dueSignalDeliveries(T0.plusSeconds(5), 10))
        .containsExactly(delivery("d1", T0.plusSeconds(1)), delivery("d2", T0.plusSeconds(2)));
    assertThat(store.dueSignalDeliveries(T0.plusSeconds(5), 1)).extracting(SignalDeliveryRecord::deliveryId).containsExactly("d1");

    store.deleteSignalDelivery("d1");
    store.failSignalDelivery("d2", "HTTP 400 (invalid_request)");
    store.retrySignalDelivery("d3", T0.plusSeconds(3), "HTTP 503");

    assertThat(store.dueSignalDeliveries(T0.plusSeconds(5), 10))
        .extracting(SignalDeliveryRecord::deliveryId, SignalDeliveryRecord::nextAttemptAt)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("d3", T0.plusSeconds(3)));
    // A failed delivery is never due again, whatever else happens to it.
    store.retrySignalDelivery("d2", T0, "late");
    assertThat(store.dueSignalDeliveries(T0.plusSeconds(3600), 10)).extracting(SignalDeliveryRecord::deliveryId).containsExactly("d3");
  }

  @Test
  void concurrentLeasesOfOneDeliveryHaveExactlyOneWinner() throws Exception {
    SignalDeliveryRecord d = delivery("d1", T0);
    store.insertSignalDeliveries(List.of(d));

    List<Boolean> won = race(thread -> store.leaseSignalDelivery("d1", T0, T0.plusSeconds(60)));

    assertThat(won).containsOnlyOnce(true);
    SignalDeliveryRecord leased = store.dueSignalDeliveries(T0.plusSeconds(60), 10).get(0);
    assertThat(leased.attempts()).isEqualTo(1);
    assertThat(leased.nextAttemptAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(store.dueSignalDeliveries(T0.plusSeconds(59), 10)).as("leased, not due").isEmpty();
  }

  private static SignalDeliveryRecord delivery(String id, Instant nextAttemptAt) {
    return new SignalDeliveryRecord(id, "https://receiver.example/events", "t1", "eyJhbGciOiJFUzI1NiJ9.e30.sig-" + id, 0, T0, nextAttemptAt);
  }

  // ---- controllers -----------------------------------------------------------------------------------------

  @Test
  void controllersCanBeRegisteredReplacedListedAndRemoved() {
    ControllerRecord a = new ControllerRecord("ci-a", "{\"keys\":[]}", null, T0);
    ControllerRecord b = new ControllerRecord("ci-b", null, "https://ci-b.example/jwks", T0);
    store.putController(b);
    store.putController(a);
    ControllerRecord aByUrl = new ControllerRecord("ci-a", null, "https://ci-a.example/jwks", T0.plusSeconds(9));

    store.putController(aByUrl);

    assertThat(store.findController("ci-a")).contains(aByUrl);
    assertThat(store.listControllers()).containsExactly(aByUrl, b);
    assertThat(store.removeController("ci-a")).isTrue();
    assertThat(store.removeController("ci-a")).isFalse();
    assertThat(store.findController("ci-a")).isEmpty();
    assertThat(store.listControllers()).containsExactly(b);
  }

  @Test
  void controllerNeedsExactlyOneKeySource() {
    assertThatThrownBy(() -> store.putController(new ControllerRecord("x", null, null, T0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.putController(new ControllerRecord("x", "{}", "https://x", T0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.listControllers()).isEmpty();
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private interface Attempt<T> {
    T run(int thread) throws Exception;
  }

  /** Runs the attempt on {@link #THREADS} threads released at once; returns every result. */
  private static <T> List<T> race(Attempt<T> attempt) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        int thread = i;
        Callable<T> call =
            () -> {
              start.await();
              return attempt.run(thread);
            };
        futures.add(pool.submit(call));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- approval gates ------------------------------------------------------------------------------------

  private static ApprovalRecord approval(String id, String taskId, int minApprovers, Instant expiresAt) {
    return new ApprovalRecord(
        id, taskId, ApprovalState.PENDING, "release-managers", minApprovers, "octocat", "digest-of-" + id, "github",
        "a".repeat(64), Map.of("platform", "github", "actor", "octocat"), "{\"kty\":\"EC\"}", "thumb", List.of("aud"),
        java.time.Duration.ofMinutes(10), "spiffe://td/x", "deploy", "v1", null, List.of("sts"), 2, T0, expiresAt, null, null,
        null, List.of());
  }

  private static <T> Write<T> marker(T value) {
    return Write.of("alongside", c -> value);
  }

  @Test
  void anApprovalRequestSpendsItsAttestationOnceAndRoundTrips() {
    store.insertOneTimeToken("tok", "dev-attestation", T0.plusSeconds(600));
    AttestationUse use = new AttestationUse.OneTimeToken("tok", "dev-attestation");
    assertThat(store.insertApproval(approval("apr_1", "t1", 1, T0.plusSeconds(3600)), use, T0, marker("logged"))).hasValue("logged");
    assertThat(store.insertApproval(approval("apr_2", "t2", 1, T0.plusSeconds(3600)), use, T0, marker("logged"))).isEmpty();
    assertThat(store.findApproval("apr_2")).isEmpty();

    ApprovalRecord found = store.findApproval("apr_1").orElseThrow();
    assertThat(found).usingRecursiveComparison().isEqualTo(approval("apr_1", "t1", 1, T0.plusSeconds(3600)));
    assertThat(store.listApprovals(ApprovalState.PENDING, 10)).extracting(ApprovalRecord::approvalId).containsExactly("apr_1");
    assertThat(store.listApprovals(ApprovalState.DENIED, 10)).isEmpty();
  }

  @Test
  void grantsCountDistinctApproversAndTheApprovedTaskIsIssuedOnce() {
    store.insertOneTimeToken("tok", "dev-attestation", T0.plusSeconds(600));
    store.insertApproval(approval("apr_1", "t1", 2, T0.plusSeconds(60)), new AttestationUse.OneTimeToken("tok", "dev-attestation"), T0, marker(1));
    Instant t1 = T0.plusSeconds(10);
    assertThat(store.grantApproval("apr_1", "rita", t1, marker("granted"))).hasValue("granted");
    assertThat(store.grantApproval("apr_1", "rita", t1, marker("granted"))).isEmpty();
    assertThat(store.findApproval("apr_1").orElseThrow().state()).isEqualTo(ApprovalState.PENDING);
    assertThat(store.insertApprovedTask("apr_1", activeTask("t1", t1), List.of(), ExchangeGrant.of("t1", List.of(), null), t1, marker(1)))
        .isEmpty();

    assertThat(store.grantApproval("apr_1", "sam", t1, marker("granted"))).hasValue("granted");
    ApprovalRecord approved = store.findApproval("apr_1").orElseThrow();
    assertThat(approved.state()).isEqualTo(ApprovalState.APPROVED);
    assertThat(approved.approvedBy()).containsExactly("rita", "sam");
    // Approved near its expiry: it stays collectable a while.
    assertThat(approved.expiresAt()).isEqualTo(t1.plus(ApprovalRows.COLLECT_WINDOW));
    assertThat(store.grantApproval("apr_1", "tom", t1, marker("granted"))).isEmpty();

    assertThat(store.insertApprovedTask("apr_1", activeTask("t1", t1), List.of(x509("t1", "s1", t1)), ExchangeGrant.of("t1", List.of(), null), t1, marker("task")))
        .hasValue("task");
    assertThat(store.insertApprovedTask("apr_1", activeTask("t1", t1), List.of(), ExchangeGrant.of("t1", List.of(), null), t1, marker("task")))
        .isEmpty();
    assertThat(store.findApproval("apr_1").orElseThrow().state()).isEqualTo(ApprovalState.ISSUED);
    assertThat(store.findTask("t1")).isPresent();
  }

  @Test
  void requestsCloseOnlyFromTheStatesThatAllowIt() {
    for (String id : List.of("apr_d", "apr_w", "apr_e")) {
      store.insertOneTimeToken("tok-" + id, "dev-attestation", T0.plusSeconds(600));
      store.insertApproval(approval(id, "t-" + id, 1, T0.plusSeconds(60)), new AttestationUse.OneTimeToken("tok-" + id, "dev-attestation"), T0, marker(1));
    }
    Instant before = T0.plusSeconds(30);
    Instant after = T0.plusSeconds(60);
    assertThat(store.closeApproval("apr_e", ApprovalState.EXPIRED, null, null, before, marker(1))).isEmpty();
    assertThat(store.overdueApprovals(before, 10)).isEmpty();
    assertThat(store.overdueApprovals(after, 10)).extracting(ApprovalRecord::approvalId).containsExactlyInAnyOrder("apr_d", "apr_w", "apr_e");
    assertThat(store.closeApproval("apr_e", ApprovalState.EXPIRED, null, null, after, marker("expired"))).hasValue("expired");

    assertThat(store.closeApproval("apr_d", ApprovalState.DENIED, "rita", "freeze", before, marker("denied"))).hasValue("denied");
    assertThat(store.closeApproval("apr_d", ApprovalState.WITHDRAWN, null, null, before, marker(1))).isEmpty();
    assertThat(store.grantApproval("apr_d", "sam", before, marker(1))).isEmpty();
    ApprovalRecord denied = store.findApproval("apr_d").orElseThrow();
    assertThat(denied.state()).isEqualTo(ApprovalState.DENIED);
    assertThat(denied.decidedBy()).isEqualTo("rita");
    assertThat(denied.reason()).isEqualTo("freeze");

    assertThat(store.closeApproval("apr_w", ApprovalState.WITHDRAWN, null, null, after, marker(1))).isEmpty();
    assertThat(store.closeApproval("apr_w", ApprovalState.WITHDRAWN, null, null, before, marker("withdrawn"))).hasValue("withdrawn");
    assertThat(store.findApproval("apr_w").orElseThrow().state()).isEqualTo(ApprovalState.WITHDRAWN);
  }

  @Test
  void operatorCommandsMarkTheirChangesForTheRunningIssuerToLog() {
    store.insertOneTimeToken("tok", "dev-attestation", T0.plusSeconds(600));
    store.insertApproval(approval("apr_1", "t1", 1, T0.plusSeconds(60)), new AttestationUse.OneTimeToken("tok", "dev-attestation"), T0, marker(1));
    assertThat(store.approvalsWithPendingEvidence(10)).isEmpty();
    store.grantApproval("apr_1", "rita", T0, Store.approvalEvidencePending("apr_1"));
    assertThat(store.approvalsWithPendingEvidence(10)).extracting(ApprovalRecord::approvedBy).containsExactly(List.of("rita"));
    store.clearApprovalEvidencePending("apr_1");
    assertThat(store.approvalsWithPendingEvidence(10)).isEmpty();
  }

  @Test
  void ofConcurrentApproversOfATwoApproverRequestBothCountAndItIsApprovedOnce() throws Exception {
    store.insertOneTimeToken("tok", "dev-attestation", T0.plusSeconds(600));
    store.insertApproval(approval("apr_1", "t1", 2, T0.plusSeconds(600)), new AttestationUse.OneTimeToken("tok", "dev-attestation"), T0, marker(1));
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<Boolean>> granted = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        String approver = i % 2 == 0 ? "rita" : "sam";
        granted.add(pool.submit(() -> store.grantApproval("apr_1", approver, T0, marker(true)).isPresent()));
      }
      int wins = 0;
      for (Future<Boolean> f : granted) {
        wins += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(wins).isEqualTo(2);
      ApprovalRecord approved = store.findApproval("apr_1").orElseThrow();
      assertThat(approved.state()).isEqualTo(ApprovalState.APPROVED);
      assertThat(approved.approvedBy()).containsExactlyInAnyOrder("rita", "sam");
    } finally {
      pool.shutdownNow();
    }
  }
}
