package dev.taskbound.issuer;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Lifecycle load generator (not a test; surefire ignores it): N client threads each run whole tasks — begin with one
 * JWT-SVID audience, renew once, end — against a dev-mode issuer on loopback (SQLite, WAL, synchronous=FULL, evidence
 * log with group commit), over real HTTP. Prints tasks/s and per-call latency percentiles.
 *
 * <p>Run from spiffe-issuer/server after {@code mvn -o -q -pl spiffe-issuer/server -am test-compile
 * dependency:build-classpath -Dmdep.outputFile=cp.txt}: {@code java -cp
 * target/test-classes:target/classes:$(cat cp.txt) dev.taskbound.issuer.LifecycleLoad [seconds] [threads...]}.
 */
public final class LifecycleLoad {
  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int[] threadCounts = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray() : new int[] {1, 8, 32};
    Path dir = Files.createTempDirectory("lifecycle-load");
    try (Issuer issuer = Issuer.start(ConfigLoader.override(ConfigLoader.dev(dir), true, "127.0.0.1:0", null), Clock.systemUTC())) {
      IssuerClient client = new IssuerClient(issuer.url());
      run(issuer, client, 2, 1); // warm-up: JIT, connection pool, first checkpoint
      System.out.printf("%-8s %10s %12s %12s %12s %12s%n", "threads", "tasks/s", "begin p50ms", "begin p99ms", "end p50ms", "end p99ms");
      for (int threads : threadCounts) {
        Result r = run(issuer, client, seconds, threads);
        System.out.printf("%-8d %10.0f %12.1f %12.1f %12.1f %12.1f%n", threads, r.tasks / (double) seconds,
            pct(r.begin, 50), pct(r.begin, 99), pct(r.end, 50), pct(r.end, 99));
      }
    }
  }

  private record Result(long tasks, long[] begin, long[] end) {}

  private static Result run(Issuer issuer, IssuerClient client, int seconds, int threads) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<List<long[]>>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      futures.add(pool.submit(() -> {
        List<long[]> samples = new ArrayList<>();
        while (System.nanoTime() < deadline) {
          Attestation att = new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5)));
          TaskKey key = TaskKey.generate();
          long t0 = System.nanoTime();
          BeginTaskResponse begun = client.begin(att, key, List.of("sts.example"), "10m");
          long t1 = System.nanoTime();
          client.renew(begun.taskId(), begun.controlToken());
          long t2 = System.nanoTime();
          client.end(begun.taskId(), begun.controlToken(), "succeeded", null);
          long t3 = System.nanoTime();
          samples.add(new long[] {t1 - t0, t3 - t2});
        }
        return samples;
      }));
    }
    List<Long> begin = new ArrayList<>();
    List<Long> end = new ArrayList<>();
    for (Future<List<long[]>> f : futures) {
      for (long[] s : f.get()) {
        begin.add(s[0]);
        end.add(s[1]);
      }
    }
    pool.shutdown();
    return new Result(begin.size(), begin.stream().mapToLong(Long::longValue).sorted().toArray(), end.stream().mapToLong(Long::longValue).sorted().toArray());
  }

  private static double pct(long[] sorted, int p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e6;
  }
}
