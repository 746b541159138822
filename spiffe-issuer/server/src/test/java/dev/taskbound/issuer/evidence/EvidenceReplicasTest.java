package dev.taskbound.issuer.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.MerkleProofs;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.client.evidence.VerificationResult;
import dev.taskbound.issuer.ca.StoreKeyManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
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

/**
 * One evidence log written by several replicas: its key sealed in the store (created once, or moved in from the disk
 * of an issuer that kept it there), and reads on a replica that has not written lately answering for the whole log.
 */
class EvidenceReplicasTest {
  private static final String ORIGIN = "issuer.example/evidence";
  private static final String SECRET = "test-only-key-encryption-secret-0123456789ab";

  @TempDir Path dir;
  private final Clock clock = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
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

  /** The key a replica whose data directory is {@code replica} signs with when keys are sealed in the store. */
  private Ed25519LogSigner sharedKey(EvidenceDatabase db, String replica) {
    return Ed25519LogSigner.loadOrCreateShared(
        new StoreKeyManager(db.store, SECRET, clock), db.pool(), keyFile(replica), ORIGIN);
  }

  private Path keyFile(String replica) {
    return dir.resolve(replica).resolve("evidence-log-key.pem");
  }

  @Test
  void replicasStartingTogetherOnANewLogShareOneKeyAndOneHistory() throws Exception {
    EvidenceDatabase db = db(EvidenceDatabase.Kind.POSTGRESQL);
    int replicas = 3;
    ExecutorService pool = Executors.newFixedThreadPool(replicas);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<EvidenceLog>> started = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      String name = "replica-" + i;
      started.add(pool.submit(() -> {
        go.await();
        // Each replica creates the key and signs the empty log if nobody has: conditional inserts, one wins each.
        return EvidenceLog.open(db.pool(), sharedKey(db, name), clock);
      }));
    }
    go.countDown();
    List<EvidenceLog> logs = new ArrayList<>();
    for (Future<EvidenceLog> f : started) {
      EvidenceLog log = f.get(60, TimeUnit.SECONDS);
      open.add(log);
      logs.add(log);
    }
    pool.shutdown();

    NoteKey key = logs.get(0).verifierKey();
    assertThat(logs).extracting(EvidenceLog::verifierKey).containsOnly(key);
    assertThat(db.rows("SELECT count(*) FROM shared_keys WHERE key_id = '" + Ed25519LogSigner.SHARED_KEY_ID + "'")).isEqualTo(1);
    assertThat(db.rows("SELECT count(*) FROM evidence_checkpoints")).isEqualTo(1);
    for (int i = 0; i < replicas; i++) {
      assertThat(keyFile("replica-" + i)).as("nothing on disk").doesNotExist();
    }
    // Each appends in turn; every checkpoint, whichever replica signed it, verifies with the one key and extends the others.
    List<String> notes = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < replicas; i++) {
        notes.add(logs.get(i).append(EvidenceLogTest.taskEvents("task-" + round + "-" + i, true)).checkpoint());
      }
    }
    for (int i = 1; i < notes.size(); i++) {
      Checkpoint older = SignedNote.openCheckpoint(notes.get(i - 1), key);
      Checkpoint newer = SignedNote.openCheckpoint(notes.get(i), key);
      assertThat(newer.size()).isGreaterThan(older.size());
      List<byte[]> proof = logs.get(i % replicas).consistencyProof(older.size(), newer.size());
      assertThat(MerkleProofs.verifyConsistency(older.size(), newer.size(), older.rootHash(), newer.rootHash(), proof)).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(EvidenceDatabase.Kind.class)
  void aLogKeyKeptOnDiskMovesIntoTheStoreAndTheLogGoesOn(EvidenceDatabase.Kind kind) throws Exception {
    EvidenceDatabase db = db(kind);
    // An issuer that kept its log key on disk (keys not sealed in the store) signed the log so far.
    Files.createDirectories(keyFile("old").getParent());
    LogSigner onDisk = Ed25519LogSigner.loadOrCreate(keyFile("old"), ORIGIN);
    EvidenceLog before = EvidenceLog.open(db.pool(), onDisk, clock);
    before.append(EvidenceLogTest.taskEvents("task-before", true));
    String checkpointBefore = before.checkpoint();
    before.close();

    // A new replica has no key that signed the log: it refuses to start rather than store a key of its own.
    assertThatThrownBy(() -> sharedKey(db, "new"))
        .isInstanceOf(EvidenceException.class)
        .hasMessageContaining("neither in the store nor in evidence-log-key.pem");
    assertThat(db.store.sharedKey(Ed25519LogSigner.SHARED_KEY_ID)).isEmpty();
    // Nor does a key file that did not sign the log move in.
    Ed25519LogSigner.loadOrCreate(keyFile("stranger"), ORIGIN);
    assertThatThrownBy(() -> sharedKey(db, "stranger"))
        .isInstanceOf(EvidenceException.class)
        .hasMessageContaining("did not sign");
    assertThat(db.store.sharedKey(Ed25519LogSigner.SHARED_KEY_ID)).isEmpty();

    // The issuer that has the file moves it in, sealed; after that every replica signs with it, file or none.
    assertThat(sharedKey(db, "old").noteKey()).isEqualTo(onDisk.noteKey());
    assertThat(db.store.sharedKey(Ed25519LogSigner.SHARED_KEY_ID).orElseThrow()).doesNotContain("PRIVATE KEY");
    assertThat(sharedKey(db, "new").noteKey()).isEqualTo(onDisk.noteKey());
    assertThat(sharedKey(db, "stranger").noteKey()).as("the store's key wins over a stray file").isEqualTo(onDisk.noteKey());

    EvidenceLog after = log(db, sharedKey(db, "new"));
    after.append(EvidenceLogTest.taskEvents("task-after", true));
    Checkpoint old = SignedNote.openCheckpoint(checkpointBefore, onDisk.noteKey());
    Checkpoint now = SignedNote.openCheckpoint(after.checkpoint(), onDisk.noteKey());
    assertThat(MerkleProofs.verifyConsistency(
        old.size(), now.size(), old.rootHash(), now.rootHash(), after.consistencyProof(old.size(), now.size()))).isTrue();
    for (String task : List.of("task-before", "task-after")) {
      assertThat(EvidenceVerifier.verify(after.bundle(task).orElseThrow(), onDisk.noteKey()).failures()).as(task).isEmpty();
    }
  }

  @Test
  void aReplicaThatHasNotWrittenLatelyAnswersForTheWholeLog() {
    EvidenceDatabase db = db(EvidenceDatabase.Kind.POSTGRESQL);
    LogSigner key = sharedKey(db, "a");
    EvidenceLog a = log(db, key);
    EvidenceLog b = log(db, sharedKey(db, "b"));
    a.append(EvidenceLogTest.taskEvents("task-1", true));
    a.append(List.of(Event.taskEnded("task-2", clock.instant(), "succeeded")));
    long sizeOnA = a.size();
    assertThat(b.size()).as("B has not taken in A's appends yet").isLessThan(sizeOnA);

    // Asked for a bundle, B takes in what A committed first: the whole task, proven against A's newest checkpoint.
    VerificationResult bundle = EvidenceVerifier.verify(b.bundle("task-1").orElseThrow(), key.noteKey());
    assertThat(bundle.failures()).isEmpty();
    assertThat(bundle.statement().credentials()).hasSize(2);
    assertThat(bundle.checkpoint().size()).isEqualTo(sizeOnA);
    assertThat(b.checkpoint()).isEqualTo(a.checkpoint());

    // Its checkpoint and its proofs reach whatever A appends next, without B writing anything.
    a.append(EvidenceLogTest.taskEvents("task-3", true));
    assertThat(b.checkpoint()).isEqualTo(a.checkpoint());
    a.append(EvidenceLogTest.taskEvents("task-4", true));
    Checkpoint newest = SignedNote.openCheckpoint(a.checkpoint(), key.noteKey());
    Checkpoint seen = bundle.checkpoint();
    assertThat(MerkleProofs.verifyConsistency(
        seen.size(), newest.size(), seen.rootHash(), newest.rootHash(), b.consistencyProof(seen.size(), newest.size()))).isTrue();
    // B appends after all of it: one history.
    assertThat(b.append(EvidenceLogTest.taskEvents("task-5", true)).leafIndexes().get(0)).isEqualTo(newest.size());
  }
}
