package dev.taskbound.issuer.store;

import static dev.taskbound.issuer.store.Fixtures.T0;
import static dev.taskbound.issuer.store.Fixtures.activeTask;
import static dev.taskbound.issuer.store.Fixtures.jwt;
import static dev.taskbound.issuer.store.Fixtures.x509;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.evidence.Ed25519LogSigner;
import dev.taskbound.issuer.evidence.Event;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.sql.Connection;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Round trips to PostgreSQL in the store writer's batches (on whichever thread runs one), where every write of a batch
 * waits for each of them (issue 13). Counted from pgjdbc's protocol log: each Sync it sends ends a flight of messages and waits for the
 * server's answer, so Syncs are round trips. Counts, not times: they hold on any machine.
 */
class PostgresRoundTripsTest {
  private static final Logger PROTOCOL = Logger.getLogger("org.postgresql.core.v3.QueryExecutorImpl");

  private ScratchDatabase db;
  private EvidenceLog log;
  private final Phases phases = new Phases();
  private final Handler counter = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getMessage() != null && record.getMessage().startsWith(" FE=> Sync")
          && db.store.writer().isWriterThread()) {
        phases.roundTrip();
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Level protocolLevel;
  private boolean protocolParents;

  @BeforeEach
  void open() {
    db = ScratchDatabase.postgres();
    // Joined before the log, so its calls bracket the log's own (the lock at batch start, the checkpoint at the end).
    db.store.writer().join(phases);
    log = EvidenceLog.open(
        db.store.writer(), db.store.dataSource(),
        new Ed25519LogSigner("issuer.example/evidence", Ed25519LogSigner.generate()), Clock.fixed(T0, ZoneOffset.UTC));
    protocolLevel = PROTOCOL.getLevel();
    protocolParents = PROTOCOL.getUseParentHandlers();
    counter.setLevel(Level.FINEST);
    PROTOCOL.setUseParentHandlers(false);
    PROTOCOL.addHandler(counter);
    PROTOCOL.setLevel(Level.FINEST);
    // Past pgjdbc's prepareThreshold (5), so what is counted runs as server-prepared statements, as in production;
    // the first spend also queues the prune of expired attestations: out of the way before counting.
    for (int i = 0; i < 6; i++) {
      begin("warm" + i, new AttestationUse.Jti("iss", "warm" + i, T0.plusSeconds(600)));
      end("warm" + i);
    }
    db.store.writer().execute(Write.of("wait for the queued writes", c -> null));
  }

  @AfterEach
  void close() {
    PROTOCOL.removeHandler(counter);
    PROTOCOL.setLevel(protocolLevel);
    PROTOCOL.setUseParentHandlers(protocolParents);
    if (log != null) {
      log.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void aBeginWithItsCredentialsAndEvidenceIsOneRoundTrip() {
    Batch batch = phases.next(() -> begin("b1", new AttestationUse.Jti("iss", "b1", T0.plusSeconds(600))));

    assertThat(batch.writes()).as("round trips of the begin (%s)", batch).containsExactly(1);
  }

  @Test
  void aBeginWithASpentAttestationIsOneRoundTripToo() {
    AttestationUse token = new AttestationUse.OneTimeToken("sha-once", "nonce");
    db.store.insertOneTimeToken("sha-once", "nonce", T0.plusSeconds(600));
    begin("o1", token);
    for (int i = 0; i < 6; i++) {
      assertThat(begin("o-again" + i, token)).isFalse();
    }

    Batch batch = phases.next(() -> assertThat(begin("o2", token)).isFalse());

    assertThat(batch.writes()).as("round trips of the refused begin (%s)", batch).containsExactly(1);
  }

  @Test
  void anEndWithItsEvidenceIsOneRoundTripAndTheReceiptsOfABatchOneMore() {
    List<String> ids = List.of("e1", "e2", "e3");
    ids.forEach(id -> begin(id, new AttestationUse.Jti("iss", id, T0.plusSeconds(600))));

    Batch batch = phases.next(() -> inOneBatch(ids.stream().<Runnable>map(id -> () -> end(id)).toList()));

    assertThat(batch.writes()).as("round trips of the ends (%s)", batch).containsExactly(1, 1, 1);
    assertThat(batch.closing()).as("leaves and checkpoint, every receipt, then COMMIT (%s)", batch).isEqualTo(3);
    ids.forEach(id -> assertThat(db.store.endReceipt(id)).as(id).isPresent());
  }

  @Test
  void aBatchOpensInOneRoundTripAndClosesInTwo() throws Exception {
    List<String> ids = List.of("m1", "m2", "m3", "m4");
    Batch batch = phases.next(() -> inOneBatch(
        ids.stream().<Runnable>map(id -> () -> assertThat(begin(id, new AttestationUse.Jti("iss", id, T0.plusSeconds(600)))).isTrue()).toList()));

    assertThat(batch.writes()).as("one round trip per begin (%s)", batch).containsExactly(1, 1, 1, 1);
    assertThat(batch.opening()).as("BEGIN, the log's lock and its catch-up check (%s)", batch).isEqualTo(1);
    assertThat(batch.closing()).as("every write's leaves and the checkpoint, then COMMIT (%s)", batch).isEqualTo(2);
    assertThat(db.store.credentialsOf("m3")).extracting(CredentialRecord::credentialId).containsExactly("serial-m3", "jti-m3");
  }

  private boolean begin(String id, AttestationUse use) {
    TaskRecord task = activeTask(id, T0);
    List<CredentialRecord> credentials = List.of(x509(id, "serial-" + id, T0), jwt(id, "jti-" + id, "vault", T0));
    List<Event> events = new ArrayList<>();
    events.add(Event.taskBegun(id, T0, task.spiffeId(), task.attestor(), "ab".repeat(32), Map.of(), "v1", "rule",
        task.publicKeyThumbprint(), task.expiresAt()));
    for (CredentialRecord c : credentials) {
      events.add(Event.credentialIssued(id, T0, c.kind().wire(), c.credentialId(), task.spiffeId(), c.audience(),
          c.notBefore(), c.expiresAt(), task.publicKeyThumbprint()));
    }
    return db.store
        .insertTask(task, credentials, ExchangeGrant.of(id, List.of("sts.example"), 3), use, T0, log.appending(events))
        .isPresent();
  }

  private void end(String id) {
    db.store.endTask(id, TaskOutcome.SUCCEEDED, null, T0.plusSeconds(60), (task, credentials) -> Write.of("log the end",
        c -> log.appending(List.of(Event.taskEnded(id, task.endedAt(), "succeeded")),
                appended -> db.store.keepEndReceipt(id, "{\"checkpoint\":\"" + appended.checkpoint().length() + "\"}"))
            .apply(c)));
  }

  /** Runs {@code writes} (each one store write) in one batch, in order: the writer is held until all are queued. */
  private void inOneBatch(List<Runnable> writes) {
    StoreWriter writer = db.store.writer();
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
      assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
      phases.skipBatch();
      List<CompletableFuture<Void>> running = new ArrayList<>();
      for (Runnable w : writes) {
        int before = writer.queued();
        running.add(CompletableFuture.runAsync(w));
        // One at a time, so the batch runs them in this order.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (writer.queued() == before && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
      }
      assertThat(writer.queued()).as("all writes queued behind the held one").isEqualTo(writes.size());
      release.countDown();
      held.get(30, TimeUnit.SECONDS);
      for (CompletableFuture<Void> w : running) {
        w.get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      release.countDown();
    }
  }

  /** Round trips of one batch: before its first write, per write, and from the last write through COMMIT. */
  record Batch(int opening, List<Integer> writes, int closing) {}

  /** Attributes the writer thread's round trips to the phases of its batches (a participant of the writer). */
  private static final class Phases implements BatchParticipant {
    private final List<Batch> done = new ArrayList<>();
    private int skip;
    private int opening;
    private final List<Integer> writes = new ArrayList<>();
    private int closing;
    private int current; // 0 opening, 1 a write, 2 closing
    private volatile CountDownLatch committed;

    synchronized void roundTrip() {
      switch (current) {
        case 0 -> opening++;
        case 1 -> writes.set(writes.size() - 1, writes.get(writes.size() - 1) + 1);
        default -> closing++;
      }
    }

    /** The next batch does not count (the held write of {@link #inOneBatch}). */
    synchronized void skipBatch() {
      skip++;
    }

    /** Runs {@code work} and returns the round trips of the last batch it caused. */
    Batch next(Runnable work) {
      synchronized (this) {
        done.clear();
      }
      work.run();
      synchronized (this) {
        assertThat(done).as("batches counted").isNotEmpty();
        return done.get(done.size() - 1);
      }
    }

    @Override
    public synchronized void batchStarted(Connection connection) {
      opening = 0;
      writes.clear();
      closing = 0;
      current = 0;
    }

    @Override
    public synchronized void writeStarted() {
      writes.add(0);
      current = 1;
    }

    @Override
    public synchronized void beforeCommit(Connection connection) {
      current = 2;
    }

    @Override
    public synchronized void committed() {
      if (skip > 0) {
        skip--;
      } else {
        done.add(new Batch(opening, List.copyOf(writes), closing));
      }
      current = 0;
    }
  }
}
