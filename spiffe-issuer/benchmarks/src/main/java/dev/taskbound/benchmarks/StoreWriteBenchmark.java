package dev.taskbound.benchmarks;

import dev.taskbound.issuer.evidence.Ed25519LogSigner;
import dev.taskbound.issuer.evidence.Event;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.store.AttestationUse;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.ExchangeGrant;
import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.Stores;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Durable writes of a begin on their own, on SQLite (WAL, synchronous=FULL). {@code appendBeginEvidence}: task.begun +
 * two credential.issued entries and a signed checkpoint through a writer whose batches hold at most {@code maxBatch}
 * writes (1 = one commit per append). {@code spendAndInsertTask}: mint a one-time token, then spend it and insert a
 * task with a credential in one write (two writes through the store's writer, default batching). Run with {@code -t 1}
 * and {@code -t 32} to see group commit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StoreWriteBenchmark {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

  @Param({"512", "1"})
  int maxBatch;

  private Path dir;
  private JdbcStore store;
  private EvidenceLog log;

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("store-write-bench");
    store = Stores.openSqlite(dir.resolve("bench.db"));
    log = EvidenceLog.open(store.dataSource(), Ed25519LogSigner.loadOrCreate(dir.resolve("log.pem"), "bench/log"), Clock.systemUTC(), maxBatch);
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    log.close();
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  public Object appendBeginEvidence() {
    String id = "tsk_" + UUID.randomUUID();
    TaskRecord task = new TaskRecord(id, TaskState.ACTIVE, "spiffe://bench.test/ci/" + id, "dev", Map.of("platform", "dev"),
        "rule", "v1", "{}", "thumb", "sha-" + id, List.of("aud"), NOW, NOW.plusSeconds(600), NOW, null, null, null);
    List<CredentialRecord> creds = List.of(
        new CredentialRecord(id, CredentialKind.X509_SVID, "x-" + id, null, NOW, NOW.plusSeconds(300), null),
        new CredentialRecord(id, CredentialKind.JWT_SVID, "j-" + id, "aud", NOW, NOW.plusSeconds(300), null));
    List<Event> events = List.of(
        Event.taskBegun(id, NOW, task.spiffeId(), "dev", "att", task.context(), "v1", "rule", "thumb", task.expiresAt()),
        Event.credentialIssued(id, NOW, "x509-svid", "x-" + id, task.spiffeId(), null, NOW, NOW.plusSeconds(300), "thumb"),
        Event.credentialIssued(id, NOW, "jwt-svid", "j-" + id, task.spiffeId(), "aud", NOW, NOW.plusSeconds(300), "thumb"));
    return log.append(events);
  }

  @Benchmark
  public Object spendAndInsertTask() {
    String id = "tsk_" + UUID.randomUUID();
    TaskRecord task = new TaskRecord(id, TaskState.ACTIVE, "spiffe://bench.test/ci/" + id, "dev", Map.of("platform", "dev"),
        "rule", "v1", "{}", "thumb", "sha-" + id, List.of("aud"), NOW, NOW.plusSeconds(600), NOW, null, null, null);
    store.insertOneTimeToken("tok-" + id, "bench", NOW.plusSeconds(600));
    return store.insertTask(task, List.of(new CredentialRecord(id, CredentialKind.X509_SVID, "x-" + id, null, NOW, NOW.plusSeconds(300), null)),
        ExchangeGrant.of(id, List.of(), null), new AttestationUse.OneTimeToken("tok-" + id, "bench"), NOW);
  }
}
