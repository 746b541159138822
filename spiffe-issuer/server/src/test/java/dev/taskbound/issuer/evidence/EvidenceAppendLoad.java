package dev.taskbound.issuer.evidence;

import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.Stores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Load generator (not a test; surefire ignores it): appenders each append a two-event batch in a loop, with group
 * commit and without it (one transaction per append), on SQLite (WAL, synchronous=FULL) and, when
 * TASKBOUND_TEST_PG_URL is set, PostgreSQL. Prints appends/s and latency percentiles.
 *
 * <p>Run: {@code mvn -o -q -pl spiffe-issuer/server -am test-compile} and then, from spiffe-issuer/server,
 * {@code java -cp target/test-classes:target/classes:$(cat cp.txt) dev.taskbound.issuer.evidence.EvidenceAppendLoad [seconds]}
 * with cp.txt from {@code mvn -o -q dependency:build-classpath -Dmdep.outputFile=cp.txt}.
 */
public final class EvidenceAppendLoad {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path dir = Files.createTempDirectory("evidence-load");
    LogSigner signer = new Ed25519LogSigner("load.example/evidence", Ed25519LogSigner.generate());
    String pg = System.getenv("TASKBOUND_TEST_PG_URL");
    System.out.printf("%-10s %-13s %8s %12s %10s %10s%n", "store", "mode", "appenders", "appends/s", "p50 ms", "p99 ms");
    for (String store : pg == null ? List.of("sqlite") : List.of("sqlite", "postgresql")) {
      for (int maxBatch : new int[] {1, EvidenceLog.DEFAULT_MAX_BATCH}) {
        for (int threads : new int[] {1, 8, 64}) {
          try (JdbcStore db = store.equals("sqlite")
              ? Stores.openSqlite(dir.resolve("load-" + System.nanoTime() + ".db"))
              : Stores.openPostgres(pg, null, null)) {
            run(store, maxBatch, threads, seconds, EvidenceLog.open(db.dataSource(), signer, Clock.systemUTC(), maxBatch));
          }
        }
      }
    }
  }

  private static void run(String store, int maxBatch, int threads, int seconds, EvidenceLog log) throws Exception {
    try (log) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      List<Future<long[]>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String task = "load-" + t;
        results.add(pool.submit(() -> {
          long[] latencies = new long[1 << 20];
          int n = 0;
          while (System.nanoTime() < deadline && n < latencies.length) {
            long start = System.nanoTime();
            log.append(List.of(Event.taskRenewed(task, Instant.now(), Instant.now()), Event.taskEnded(task, Instant.now(), "succeeded")));
            latencies[n++] = System.nanoTime() - start;
          }
          return Arrays.copyOf(latencies, n);
        }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<long[]> f : results) {
        for (long l : f.get()) {
          all.add(l);
        }
      }
      pool.shutdown();
      all.sort(Long::compare);
      System.out.printf("%-10s %-13s %8d %12.0f %10.2f %10.2f%n", store, maxBatch == 1 ? "no-group" : "group-commit", threads,
          all.size() / (double) seconds, all.get(all.size() / 2) / 1e6, all.get((int) (all.size() * 0.99)) / 1e6);
    }
  }
}
