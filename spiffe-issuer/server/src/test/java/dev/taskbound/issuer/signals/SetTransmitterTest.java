package dev.taskbound.issuer.signals;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.ca.DiskKeyManager;
import dev.taskbound.issuer.store.BatchParticipant;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transmitter of an issuer with no Shared Signals receivers: what its outbox costs the store. */
class SetTransmitterTest {
  private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

  @TempDir Path dir;

  @Test
  void withoutReceiversOnePassTakesEveryEndOffTheOutboxInOneCommit() {
    try (ScratchDatabase db = ScratchDatabase.sqlite(dir.resolve("db"))) {
      for (int i = 0; i < 5; i++) {
        String id = "tsk_" + i;
        db.store.insertTask(task(id), List.of());
        db.store.endTask(id, TaskOutcome.SUCCEEDED, null, T0.plusSeconds(10 + i));
      }
      assertThat(db.store.signalOutbox(10)).hasSize(5);
      AtomicInteger commits = new AtomicInteger();
      db.store.writer().join(new BatchParticipant() {
        @Override
        public void committed() {
          commits.incrementAndGet();
        }
      });
      try (SetTransmitter transmitter =
          new SetTransmitter(
              SignalsConfig.none(), "https://issuer.example", SetSigner.open(new DiskKeyManager(dir.resolve("keys"))),
              db.store, new PushDelivery(name -> null), Clock.fixed(T0, ZoneOffset.UTC))) {
        transmitter.relay();
      }

      assertThat(db.store.signalOutbox(10)).isEmpty();
      assertThat(commits.get()).as("commits of the pass").isEqualTo(1);
      assertThat(db.store.dueSignalDeliveries(T0.plusSeconds(3600), 10)).isEmpty();
    }
  }

  private static TaskRecord task(String id) {
    return new TaskRecord(
        id, TaskState.ACTIVE, "spiffe://example.org/ci/" + id, "dev", Map.of(), "dev", "v1",
        "{\"kty\":\"EC\"}", "thumb-" + id, "ctl-" + id, List.of("aud"), T0, T0.plusSeconds(600), null, null, null, null);
  }
}
