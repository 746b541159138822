package dev.taskbound.issuer.store;

import static dev.taskbound.issuer.store.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What replicas share through the store (V7/V8), on SQLite and on the PostgreSQL test server. */
class ReplicaStoreTest {
  @TempDir Path dir;

  private ScratchDatabase open(Database database) {
    return database == Database.SQLITE ? ScratchDatabase.sqlite(dir) : ScratchDatabase.postgres();
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void endsWithNoReceiverToSignalAreDiscardedOldestFirstManyToATransaction(Database database) {
    try (ScratchDatabase db = open(database)) {
      Store store = db.store;
      for (int i = 0; i < 3; i++) {
        String id = "tsk_" + i;
        store.insertTask(Fixtures.activeTask(id, T0), List.of(Fixtures.x509(id, "0" + i, T0)));
        store.endTask(id, TaskOutcome.SUCCEEDED, null, T0.plusSeconds(5 + i));
      }
      int[] commits = {0};
      db.store.writer().join(new BatchParticipant() {
        @Override
        public void committed() {
          commits[0]++;
        }
      });

      assertThat(store.discardSignalOutbox(2)).isEqualTo(2);
      assertThat(commits[0]).as("transactions").isEqualTo(1);
      assertThat(store.signalOutbox(10)).as("the newest end is left").containsExactly("tsk_2");
      assertThat(store.discardSignalOutbox(2)).isEqualTo(1);
      assertThat(store.discardSignalOutbox(2)).isZero();
      assertThat(store.dueSignalDeliveries(T0.plusSeconds(3600), 10)).as("nothing queued").isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void theEndTransactionQueuesItsSignalsAndOneRelayTakesThem(Database database) {
    try (ScratchDatabase db = open(database)) {
      Store store = db.store;
      store.insertTask(Fixtures.activeTask("tsk_a", T0), List.of(Fixtures.x509("tsk_a", "0a", T0)));
      assertThat(store.signalOutbox(10)).isEmpty();

      store.endTask("tsk_a", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(5));
      // Repeating the end changes nothing, and queues nothing twice.
      store.endTask("tsk_a", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(6));
      assertThat(store.signalOutbox(10)).containsExactly("tsk_a");

      SignalDeliveryRecord set = new SignalDeliveryRecord("d1", "https://r.example", "tsk_a", "set", 0, T0, T0);
      assertThat(store.relaySignalOutbox("tsk_a", List.of(set))).isTrue();
      assertThat(store.relaySignalOutbox("tsk_a", List.of(set))).as("already relayed").isFalse();
      assertThat(store.signalOutbox(10)).isEmpty();
      assertThat(store.dueSignalDeliveries(T0, 10)).extracting(SignalDeliveryRecord::deliveryId).containsExactly("d1");
    }
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void aSharedKeyIsKeptByTheFirstWriter(Database database) {
    try (ScratchDatabase db = open(database)) {
      Store store = db.store;
      assertThat(store.insertSharedKey("k1", "v1.first", T0)).isTrue();
      assertThat(store.insertSharedKey("k1", "v1.second", T0)).isFalse();
      assertThat(store.sharedKey("k1")).contains("v1.first");
      assertThat(store.exclusively("test-lock", () -> store.sharedKey("k1").orElseThrow())).isEqualTo("v1.first");
      store.removeSharedKey("k1");
      assertThat(store.sharedKey("k1")).isEmpty();
    }
  }

  @Test
  void ofBeginsWithOneAttestationOnTwoReplicasExactlyOneIsRecorded() throws Exception {
    try (ScratchDatabase db = ScratchDatabase.postgres();
        JdbcStore other = Stores.openPostgres(db.schemaUrl(), null, null)) {
      List<Store> replicas = List.of(db.store, other);
      db.store.insertOneTimeToken("sha-r", "nonce", T0.plusSeconds(60));
      List<AttestationUse> uses =
          List.of(new AttestationUse.Jti("iss", "r", T0.plusSeconds(60)), new AttestationUse.OneTimeToken("sha-r", "nonce"));
      for (int u = 0; u < uses.size(); u++) {
        AttestationUse use = uses.get(u);
        String prefix = "tsk_r" + u + "_";
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
          CountDownLatch start = new CountDownLatch(1);
          List<Future<Boolean>> begins = new ArrayList<>();
          for (int i = 0; i < threads; i++) {
            Store store = replicas.get(i % 2);
            String id = prefix + i;
            begins.add(pool.submit(() -> {
              start.await();
              return store.insertTask(Fixtures.activeTask(id, T0), List.of(Fixtures.x509(id, id + "-serial", T0)),
                  ExchangeGrant.of(id, List.of(), null), use, T0);
            }));
          }
          start.countDown();
          List<Boolean> results = new ArrayList<>();
          for (Future<Boolean> f : begins) {
            results.add(f.get(60, TimeUnit.SECONDS));
          }
          assertThat(results).as("%s", use).containsOnlyOnce(true);
          assertThat(other.listTasks(null, 100)).filteredOn(t -> t.taskId().startsWith(prefix)).hasSize(1);
        } finally {
          pool.shutdownNow();
        }
      }
    }
  }
}
