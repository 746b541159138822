package dev.taskbound.issuer.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.DsseEnvelope;
import dev.taskbound.client.evidence.EvidenceBundle;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.MerkleProofs;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.RevocationReceipt;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.client.evidence.TreeHash;
import dev.taskbound.client.evidence.VerificationResult;
import dev.taskbound.client.evidence.VerificationResult.Check;
import dev.taskbound.issuer.store.StoreWriter;
import dev.taskbound.issuer.store.Write;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EvidenceLogTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final String ORIGIN = "issuer.example/evidence";
  private static final String SHA = "ab".repeat(32);

  @TempDir Path dir;
  private final Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private EvidenceDatabase db(EvidenceDatabase.Kind kind) {
    EvidenceDatabase db = EvidenceDatabase.open(kind, dir);
    open.add(db);
    return db;
  }

  private EvidenceLog log(EvidenceDatabase db, LogSigner signer) {
    EvidenceLog log = EvidenceLog.open(db.pool(), signer, clock);
    open.add(log);
    return log;
  }

  private LogSigner signer() {
    return Ed25519LogSigner.loadOrCreate(dir.resolve("evidence-log-key.pem"), ORIGIN);
  }

  static List<Event> taskEvents(String taskId, boolean revokeAll) {
    Instant exp = T0.plusSeconds(600);
    List<Event> events = new ArrayList<>(List.of(
        Event.taskBegun(taskId, T0, "spiffe://example.org/ci/" + taskId, "github", SHA,
            Map.of("repository", "acme/app", "run_id", "42"), "v7", "main-deploys", "thumb", exp),
        Event.credentialIssued(taskId, T0, "x509-svid", "0a1b2c", "spiffe://example.org/ci/" + taskId, null, T0, exp, "thumb"),
        Event.credentialIssued(taskId, T0, "jwt-svid", "jti-" + taskId, "spiffe://example.org/ci/" + taskId, "vault", T0, exp, "thumb"),
        Event.taskEnded(taskId, T0.plusSeconds(120), "succeeded"),
        Event.credentialRevoked(taskId, T0.plusSeconds(120), "x509-svid", "0a1b2c", exp)));
    if (revokeAll) {
      events.add(Event.credentialRevoked(taskId, T0.plusSeconds(120), "jwt-svid", "jti-" + taskId, exp));
    }
    return events;
  }

  @ParameterizedTest
  @EnumSource(EvidenceDatabase.Kind.class)
  void taskBundleVerifiesOfflineWithOnlyTheVerifierKey(EvidenceDatabase.Kind kind) {
    EvidenceDatabase db = db(kind);
    EvidenceLog log = log(db, signer());
    log.append(taskEvents("other", true));
    EvidenceLog.Appended appended = log.append(taskEvents("task-1", true));
    assertThat(appended.leafIndexes()).containsExactly(6L, 7L, 8L, 9L, 10L, 11L);

    byte[] bundle = log.bundle("task-1").orElseThrow();
    VerificationResult result = EvidenceVerifier.verify(bundle, log.verifierKey().verifierKey());
    assertThat(result.failures()).isEmpty();
    assertThat(result.statement().credentials()).hasSize(2)
        .allSatisfy(c -> assertThat(c.residualExposureSeconds()).isEqualTo(480L));
    assertThat(result.checkpoint().size()).isEqualTo(12);
    assertThat(EvidenceVerifier.verify(bundle, log.verifierKey().publicKey()).valid()).isTrue();
    assertThat(log.bundle("no-such-task")).isEmpty();
  }

  @Test
  void aCredentialNeitherRevokedNorExpiredAtTheEndIsNamed() {
    EvidenceLog log = log(db(EvidenceDatabase.Kind.SQLITE), signer());
    log.append(taskEvents("task-2", false));
    VerificationResult result = EvidenceVerifier.verify(log.bundle("task-2").orElseThrow(), log.verifierKey());
    assertThat(result.failures()).singleElement().satisfies(f -> {
      assertThat(f.check()).isEqualTo(Check.CREDENTIAL_OPEN_AFTER_END);
      assertThat(f.detail()).contains("jti-task-2");
    });
  }

  @Test
  void aBundleOfARunningTaskSaysTheTaskHasNotEnded() {
    EvidenceLog log = log(db(EvidenceDatabase.Kind.SQLITE), signer());
    log.append(taskEvents("task-3", true).subList(0, 3));
    VerificationResult result = EvidenceVerifier.verify(log.bundle("task-3").orElseThrow(), log.verifierKey());
    assertThat(result.failures()).extracting(VerificationResult.Failure::check).containsExactly(Check.TASK_NOT_ENDED);
  }

  @Test
  void changingAnyByteOfABundleFailsVerification() {
    EvidenceLog log = log(db(EvidenceDatabase.Kind.SQLITE), signer());
    log.append(taskEvents("pad", true));
    log.append(taskEvents("task-4", true));
    byte[] bundle = log.bundle("task-4").orElseThrow();
    NoteKey key = log.verifierKey();
    assertThat(EvidenceVerifier.verify(bundle, key).valid()).isTrue();
    for (int i = 0; i < bundle.length; i++) {
      for (int delta : new int[] {1, 0x20}) {
        byte[] tampered = bundle.clone();
        tampered[i] ^= (byte) delta;
        assertThat(EvidenceVerifier.verify(tampered, key).valid()).as("byte %d ^ %d", i, delta).isFalse();
      }
    }
  }

  @Test
  void changingAnyByteOfTheSignedStatementFailsVerification() {
    EvidenceLog log = log(db(EvidenceDatabase.Kind.SQLITE), signer());
    log.append(taskEvents("task-5", true));
    EvidenceBundle bundle = EvidenceBundle.parse(log.bundle("task-5").orElseThrow());
    DsseEnvelope env = bundle.envelope();
    byte[] payload = env.payload();
    for (int i = 0; i < payload.length; i++) {
      byte[] tampered = payload.clone();
      tampered[i] ^= 1;
      EvidenceBundle altered = new EvidenceBundle(
          new DsseEnvelope(env.payloadType(), tampered, env.signatures()), bundle.checkpoint(), bundle.proofs());
      assertThat(EvidenceVerifier.verify(altered.toBytes(), log.verifierKey()).valid()).as("payload byte %d", i).isFalse();
    }
  }

  @Test
  void aBundleSignedByAnotherKeyFails() {
    EvidenceLog log = log(db(EvidenceDatabase.Kind.SQLITE), signer());
    log.append(taskEvents("task-6", true));
    NoteKey stranger = new Ed25519LogSigner(ORIGIN, Ed25519LogSigner.generate()).noteKey();
    VerificationResult result = EvidenceVerifier.verify(log.bundle("task-6").orElseThrow(), stranger);
    assertThat(result.failures()).extracting(VerificationResult.Failure::check)
        .contains(Check.CHECKPOINT_SIGNATURE, Check.ENVELOPE_SIGNATURE);
  }

  @ParameterizedTest
  @EnumSource(EvidenceDatabase.Kind.class)
  void concurrentAppendersGetDistinctContiguousIndexesAndTheLogVerifies(EvidenceDatabase.Kind kind) throws Exception {
    EvidenceDatabase db = db(kind);
    EvidenceLog log = log(db, signer());
    String first = log.checkpoint();
    int threads = 32;
    int perThread = 20;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<EvidenceLog.Appended>>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String task = "task-" + t;
      futures.add(pool.submit(() -> {
        start.await();
        List<EvidenceLog.Appended> mine = new ArrayList<>();
        for (int i = 0; i < perThread; i++) {
          mine.add(log.append(List.of(Event.taskRenewed(task, T0, T0.plusSeconds(i)), Event.taskRenewed(task, T0, T0))));
        }
        return mine;
      }));
    }
    start.countDown();
    Set<Long> indexes = new HashSet<>();
    for (Future<List<EvidenceLog.Appended>> f : futures) {
      for (EvidenceLog.Appended a : f.get()) {
        assertThat(a.leafIndexes().get(1)).isEqualTo(a.leafIndexes().get(0) + 1);
        assertThat(indexes.addAll(a.leafIndexes())).isTrue();
        Checkpoint c = SignedNote.openCheckpoint(a.checkpoint(), log.verifierKey());
        assertThat(c.size()).isGreaterThan(a.leafIndexes().get(1));
      }
    }
    pool.shutdown();
    long total = (long) threads * perThread * 2;
    assertThat(indexes).hasSize((int) total);
    assertThat(indexes.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(total - 1);
    assertThat(db.rows("SELECT COUNT(*) FROM evidence_entries")).isEqualTo(total);
    // The whole history is one append-only tree: the first checkpoint extends to the last.
    String last = log.checkpoint();
    long lastSize = SignedNote.openCheckpoint(last, log.verifierKey()).size();
    assertThat(lastSize).isEqualTo(total);
    assertThat(EvidenceVerifier.verifyConsistency(first, last, log.consistencyProof(0, lastSize), log.verifierKey())).isTrue();
    EvidenceVerifier.verify(log.bundle("task-7").orElseThrow(), log.verifierKey()).failures()
        .forEach(f -> assertThat(f.check()).isEqualTo(Check.TASK_NOT_ENDED));
  }

  @ParameterizedTest
  @EnumSource(EvidenceDatabase.Kind.class)
  void aStoreFailureMidBatchFailsEveryWaiterAndLeavesNoPartialBatch(EvidenceDatabase.Kind kind) throws Exception {
    EvidenceDatabase db = db(kind);
    EvidenceLog log = log(db, signer());
    log.append(taskEvents("before", true));
    String before = log.checkpoint();
    db.failInsertsOfLeaf(8);
    // Many appends in flight at once land in one or more batches; the one holding leaf 8 fails as a whole.
    List<CompletableFuture<EvidenceLog.Appended>> inFlight = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      inFlight.add(log.appendAsync(List.of(Event.taskRenewed("t" + i, T0, T0), Event.taskRenewed("t" + i, T0, T0))));
    }
    int failed = 0;
    for (CompletableFuture<EvidenceLog.Appended> f : inFlight) {
      try {
        f.join();
      } catch (java.util.concurrent.CompletionException e) {
        assertThat(e.getCause()).isInstanceOf(EvidenceException.class);
        failed++;
      }
    }
    assertThat(failed).isPositive();
    long committed = db.rows("SELECT COUNT(*) FROM evidence_entries");
    assertThat(committed).isLessThanOrEqualTo(8).isEqualTo(log.size());
    assertThat(db.rows("SELECT MAX(tree_size) FROM evidence_checkpoints")).isEqualTo(committed);
    if (committed == 6) {
      assertThat(log.checkpoint()).isEqualTo(before);
    }
    assertThatThrownBy(() -> log.append(List.of(Event.taskRenewed("x", T0, T0), Event.taskRenewed("x", T0, T0), Event.taskRenewed("x", T0, T0))))
        .isInstanceOf(EvidenceException.class);
    db.healInserts();
    EvidenceLog.Appended after = log.append(taskEvents("after", true));
    assertThat(after.leafIndexes().get(0)).isEqualTo(committed);
    assertThat(EvidenceVerifier.verify(log.bundle("after").orElseThrow(), log.verifierKey()).failures()).isEmpty();
    assertThat(EvidenceVerifier.verify(log.bundle("before").orElseThrow(), log.verifierKey()).failures()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(EvidenceDatabase.Kind.class)
  void aWriteThatFailsInABatchTakesOnlyItsOwnLeavesOut(EvidenceDatabase.Kind kind) throws Exception {
    EvidenceDatabase db = db(kind);
    StoreWriter writer = db.store.writer();
    EvidenceLog log = EvidenceLog.open(writer, db.pool(), signer(), clock);
    open.add(log);
    String before = log.checkpoint();

    List<CompletableFuture<EvidenceLog.Appending>> batch = inOneBatch(writer,
        log.appending(taskEvents("a", true)),
        Write.of("append, then fail", c -> {
          log.appending(taskEvents("b", true)).apply(c);
          throw new SQLException("injected failure");
        }),
        log.appending(taskEvents("c", true)));

    assertThat(batch.get(0).get().appended().leafIndexes()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    assertThatThrownBy(() -> batch.get(1).join()).hasMessageContaining("injected failure");
    EvidenceLog.Appended c = batch.get(2).get().appended();
    assertThat(c.leafIndexes()).containsExactly(6L, 7L, 8L, 9L, 10L, 11L);
    assertThat(SignedNote.openCheckpoint(c.checkpoint(), log.verifierKey()).size()).isEqualTo(12);
    assertThat(db.rows("SELECT COUNT(*) FROM evidence_entries")).isEqualTo(12);
    assertThat(db.rows("SELECT COUNT(*) FROM evidence_entries WHERE task_id = 'c' AND leaf_index >= 6")).isEqualTo(6);
    assertThat(db.rows("SELECT MAX(tree_size) FROM evidence_checkpoints")).isEqualTo(12);
    assertThat(log.bundle("b")).isEmpty();
    for (String task : List.of("a", "c")) {
      assertThat(EvidenceVerifier.verify(log.bundle(task).orElseThrow(), log.verifierKey()).failures()).as(task).isEmpty();
    }
    assertThat(EvidenceVerifier.verifyConsistency(before, c.checkpoint(), log.consistencyProof(0, 12), log.verifierKey())).isTrue();
  }

  @ParameterizedTest
  @EnumSource(EvidenceDatabase.Kind.class)
  void aWriteSeesTheRevocationsEarlierWritesOfItsBatchLogged(EvidenceDatabase.Kind kind) throws Exception {
    EvidenceDatabase db = db(kind);
    StoreWriter writer = db.store.writer();
    EvidenceLog log = EvidenceLog.open(writer, db.pool(), signer(), clock);
    open.add(log);
    log.append(List.of(Event.credentialRevoked("r", T0, "x509-svid", "0a1b2c", T0.plusSeconds(600))));

    List<CompletableFuture<Object>> batch = inOneBatch(writer,
        Write.of("revoke", c -> log.appending(
            List.of(Event.credentialRevoked("r", T0, "jwt-svid", "jti-r", T0.plusSeconds(600)))).apply(c)),
        Write.of("read what is logged", c -> log.loggedRevocations(c, "r")));

    assertThat(batch.get(1).get()).isEqualTo(Set.of("x509-svid 0a1b2c", "jwt-svid jti-r"));
  }

  /** Submits {@code writes} while the writer is held, so that one batch runs all of them, in order. */
  @SafeVarargs
  private static <T> List<CompletableFuture<T>> inOneBatch(StoreWriter writer, Write<? extends T>... writes) throws Exception {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Boolean> held = writer.submit(Write.of("hold the writer", c -> {
      holding.countDown();
      try {
        return release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }));
    try {
      assertThat(holding.await(30, TimeUnit.SECONDS)).as("the writer took the held write").isTrue();
      List<CompletableFuture<T>> out = new ArrayList<>();
      for (Write<? extends T> w : writes) {
        out.add(writer.submit(w).thenApply(t -> (T) t));
      }
      return out;
    } finally {
      release.countDown();
      held.get(30, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @EnumSource(EvidenceDatabase.Kind.class)
  void reopeningRebuildsTheTreeAndContinuesTheSameLog(EvidenceDatabase.Kind kind) {
    EvidenceDatabase db = db(kind);
    EvidenceLog first = EvidenceLog.open(db.pool(), signer(), clock);
    first.append(taskEvents("a", true));
    String note = first.checkpoint();
    first.close();
    EvidenceLog second = log(db, signer());
    assertThat(second.checkpoint()).isEqualTo(note);
    EvidenceLog.Appended b = second.append(taskEvents("b", true));
    assertThat(b.leafIndexes().get(0)).isEqualTo(6);
    assertThat(EvidenceVerifier.verifyConsistency(note, second.checkpoint(), second.consistencyProof(6, 12), second.verifierKey())).isTrue();
    assertThat(EvidenceVerifier.verify(second.bundle("a").orElseThrow(), second.verifierKey()).valid()).isTrue();
  }

  @Test
  void aLogWhoseStoredLeavesWereAlteredRefusesToOpen() {
    EvidenceDatabase db = db(EvidenceDatabase.Kind.SQLITE);
    EvidenceLog first = EvidenceLog.open(db.pool(), signer(), clock);
    first.append(taskEvents("a", true));
    first.close();
    db.run("UPDATE evidence_entries SET leaf_hash = '" + "00".repeat(32) + "' WHERE leaf_index = 2");
    assertThatThrownBy(() -> EvidenceLog.open(db.pool(), signer(), clock))
        .isInstanceOf(EvidenceException.class).hasMessageContaining("altered");
  }

  @Test
  void revocationReceiptIsSignedAndNamesTheTaskEndedLeaf() {
    EvidenceLog log = log(db(EvidenceDatabase.Kind.SQLITE), signer());
    EvidenceLog.Appended a = log.append(taskEvents("task-r", true));
    byte[] receipt = log.receipt("task-r", T0.plusSeconds(120), "succeeded", List.of("0a1b2c", "jti-task-r"),
        a.leafIndexes().get(3), a.checkpoint());
    RevocationReceipt opened = EvidenceVerifier.verifyReceipt(receipt, log.verifierKey());
    assertThat(opened.taskId()).isEqualTo("task-r");
    assertThat(opened.revokedCredentialIds()).containsExactly("0a1b2c", "jti-task-r");
    assertThat(opened.taskEndedLeafIndex()).isEqualTo(3);
    for (int i = 0; i < receipt.length; i += 3) {
      byte[] tampered = receipt.clone();
      tampered[i] ^= 1;
      int at = i;
      assertThatThrownBy(() -> EvidenceVerifier.verifyReceipt(tampered, log.verifierKey())).as("byte %d", at)
          .isInstanceOf(RuntimeException.class);
    }
  }

  @Test
  void logKeyIsPersistedPrivatelyAndReloaded() throws Exception {
    Path file = dir.resolve("keys/evidence.pem");
    NoteKey created = Ed25519LogSigner.loadOrCreate(file, ORIGIN).noteKey();
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Ed25519LogSigner.loadOrCreate(file, ORIGIN).noteKey()).isEqualTo(created);
    assertThat(NoteKey.parse(created.verifierKey())).isEqualTo(created);
    assertThat(created.verifierKey()).startsWith(ORIGIN + "+");
  }

  @Test
  void checkpointsCoverEveryAppendAndOnlyGrow() {
    EvidenceLog log = log(db(EvidenceDatabase.Kind.SQLITE), signer());
    String previous = log.checkpoint();
    for (int i = 0; i < 5; i++) {
      EvidenceLog.Appended a = log.append(List.of(Event.taskRenewed("g", T0, T0.plus(Duration.ofSeconds(i)))));
      Checkpoint p = SignedNote.openCheckpoint(previous, log.verifierKey());
      Checkpoint c = SignedNote.openCheckpoint(a.checkpoint(), log.verifierKey());
      assertThat(MerkleProofs.verifyConsistency(p.size(), c.size(), p.rootHash(), c.rootHash(), log.consistencyProof(p.size(), c.size()))).isTrue();
      assertThat(log.checkpointAt(c.size())).contains(a.checkpoint());
      previous = a.checkpoint();
    }
    assertThat(SignedNote.openCheckpoint(previous, log.verifierKey()).rootHash()).hasSize(TreeHash.SIZE);
  }
}
