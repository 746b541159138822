package dev.taskbound.issuer.store;

import static dev.taskbound.issuer.store.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.util.List;
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
}
