package dev.taskbound.benchmarks;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.attest.DevAttestor;
import dev.taskbound.issuer.ca.CryptoProviders;
import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.Stores;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Lifecycle load generator, out of process like a real client: starts {@code taskbound-issuer serve --dev} as its own
 * JVM (SQLite by default, PostgreSQL with {@code --postgres URL}), mints dev tokens in one {@code dev-token --count}
 * call and prepares every task key and proof of possession before the timed window, then runs N client threads over
 * HTTP on loopback. Prints ops/s, p50/p99 latency and the issuer process's CPU per operation (from /proc).
 *
 * <p>Modes: {@code begin} (one op = one begin, JWT-SVID audience, X.509-SVID, durable task + evidence) and
 * {@code cycle} (one op = begin then end). See spiffe-issuer/benchmarks/README.md.
 */
public final class LifecycleLoad {
  private static final Pattern LISTENING = Pattern.compile("Taskbound issuer listening on (http://127\\.0\\.0\\.1:\\d+)");
  private static final long CLOCK_TICKS_PER_SECOND = 100;

  private record Options(
      Path issuerJar, String postgresUrl, int seconds, int[] clients, List<String> modes, int rounds, int tokenRate, boolean mintDirect,
      List<String> issuerJvm, int warmupSeconds) {}

  private static final int WARMUP_WINDOW_SECONDS = 60;

  private record Prepared(Attestation attestation, Map<String, Object> jwk, String proof) {}

  private record Result(String mode, int clients, double opsPerSecond, double p50, double p99, double cpuMsPerOp,
      double diskKbPerOp, double dbCpuMsPerOp, double clientCpuMsPerOp) {}

  public static void main(String[] args) throws Exception {
    Options o = parse(args);
    CryptoProviders.install(); // proofs are prepared with the fastest provider, outside the timed window anyway
    Path dataDir = Files.createTempDirectory("taskbound-load");
    List<String> configArgs = configArgs(o, dataDir);
    long launched = System.nanoTime();
    Process issuer = start(o, configArgs);
    try {
      String url = url(issuer);
      double readyMs = awaitReady(url, launched);
      IssuerClient client =
          new IssuerClient(url, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), Clock.systemUTC(), Duration.ofSeconds(30));
      System.out.printf("issuer %s (pid %d), store %s, %d s per run, %d round(s)%n", url, issuer.pid(),
          o.postgresUrl() == null ? "sqlite" : "postgresql", o.seconds(), o.rounds());
      System.out.printf("start-up to a ready /readyz: %.0f ms; RSS after start-up: %d MB%n", readyMs, rssKb(issuer.pid(), "VmRSS") / 1024);
      // Warm-up: JIT (C2 compiles hot paths for 1–2 minutes of load on 2 cores), connections, first checkpoints.
      // In windows of at most a minute: a proof of possession is accepted for 120 s after it was made, and each
      // window's proofs are made before it starts.
      // Each window is printed: the issuer is at steady state once its ops/s and CPU per op stop moving.
      for (int left = o.warmupSeconds(); left > 0; left -= WARMUP_WINDOW_SECONDS) {
        int window = Math.min(left, WARMUP_WINDOW_SECONDS);
        Result w = run(o, configArgs, issuer, client, "cycle", 8, window, url);
        System.out.printf("warm-up: %d s of cycle at 8 clients, %.0f ops/s, issuer cpu %.3f ms/op%n",
            window, w.opsPerSecond(), w.cpuMsPerOp());
      }
      System.out.printf("%-6s %-7s %10s %9s %9s %12s %11s %8s %12s %14s%n", "mode", "clients", "ops/s", "p50 ms", "p99 ms", "cpu ms/op",
          "disk KB/op", "RSS MB", "pg cpu ms/op", "client cpu ms/op");
      for (int round = 0; round < o.rounds(); round++) {
        for (String mode : o.modes()) {
          for (int clients : o.clients()) {
            Result r = run(o, configArgs, issuer, client, mode, clients, o.seconds(), url);
            System.out.printf("%-6s %-7d %10.0f %9.2f %9.2f %12.3f %11.2f %8d %12s %14.3f%n", r.mode(), r.clients(), r.opsPerSecond(), r.p50(), r.p99(),
                r.cpuMsPerOp(), r.diskKbPerOp(), rssKb(issuer.pid(), "VmRSS") / 1024,
                o.postgresUrl() == null ? "-" : String.format("%.3f", r.dbCpuMsPerOp()), r.clientCpuMsPerOp());
          }
        }
      }
      System.out.printf("peak RSS of the issuer: %d MB%n", rssKb(issuer.pid(), "VmHWM") / 1024);
    } finally {
      issuer.destroy();
      issuer.waitFor(20, TimeUnit.SECONDS);
      deleteRecursively(dataDir); // a minute of load leaves a database of hundreds of megabytes
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static Result run(Options o, List<String> configArgs, Process issuer, IssuerClient client, String mode, int clients,
      int seconds, String url) throws Exception {
    ConcurrentLinkedQueue<Prepared> work = prepare(o, configArgs, url, Math.max(200, o.tokenRate() * seconds));
    // Settle this JVM's heap before the clock starts: the prepared work (keys, proofs, tokens: a few hundred MB) is
    // young, and copying it in a collection inside the window stalled every client for up to 120 ms, which the
    // issuer's p99 would then carry. See benchmarks/README.md for the young generation this JVM should run with.
    System.gc();
    long cpuBefore = cpuTicks(issuer.pid());
    long dbCpuBefore = postgresCpuTicks();
    long clientCpuBefore = cpuTicks(ProcessHandle.current().pid());
    long writtenBefore = bytesWritten(issuer.pid());
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<long[]>> futures = new ArrayList<>();
    for (int t = 0; t < clients; t++) {
      futures.add(pool.submit(() -> {
        long[] samples = new long[1024];
        int n = 0;
        Prepared p;
        while (System.nanoTime() < deadline && (p = work.poll()) != null) {
          long t0 = System.nanoTime();
          BeginTaskResponse begun = client.begin(p.attestation(), p.jwk(), p.proof(), List.of("sts.example"), "10m");
          if (mode.equals("cycle")) {
            client.end(begun.taskId(), begun.controlToken(), "succeeded", null);
          }
          if (n == samples.length) {
            samples = Arrays.copyOf(samples, n * 2);
          }
          samples[n++] = System.nanoTime() - t0;
        }
        return Arrays.copyOf(samples, n);
      }));
    }
    List<long[]> all = new ArrayList<>();
    for (Future<long[]> f : futures) {
      all.add(f.get());
    }
    long elapsed = System.nanoTime() - start;
    long cpuAfter = cpuTicks(issuer.pid());
    long dbCpuAfter = postgresCpuTicks();
    long clientCpuAfter = cpuTicks(ProcessHandle.current().pid());
    long writtenAfter = bytesWritten(issuer.pid());
    pool.shutdown();
    long[] sorted = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    if (!work.isEmpty() || elapsed < TimeUnit.SECONDS.toNanos(seconds)) {
      // Ran out of prepared tokens before the deadline: the rate is still ops over the time they took.
      elapsed = Math.min(elapsed, TimeUnit.SECONDS.toNanos(seconds));
    }
    double ops = sorted.length / (elapsed / 1e9);
    double cpuMs = sorted.length == 0 ? 0 : (cpuAfter - cpuBefore) * 1000.0 / CLOCK_TICKS_PER_SECOND / sorted.length;
    double diskKb = sorted.length == 0 ? 0 : (writtenAfter - writtenBefore) / 1024.0 / sorted.length;
    double dbCpuMs = sorted.length == 0 ? 0 : (dbCpuAfter - dbCpuBefore) * 1000.0 / CLOCK_TICKS_PER_SECOND / sorted.length;
    double clientCpuMs = sorted.length == 0 ? 0 : (clientCpuAfter - clientCpuBefore) * 1000.0 / CLOCK_TICKS_PER_SECOND / sorted.length;
    return new Result(mode, clients, ops, pct(sorted, 50), pct(sorted, 99), cpuMs, diskKb, dbCpuMs, clientCpuMs);
  }

  /** Dev tokens from one {@code dev-token --count} process, each with a fresh key and its proof, made now. */
  private static ConcurrentLinkedQueue<Prepared> prepare(Options o, List<String> configArgs, String url, int count) throws Exception {
    List<String> tokens = o.mintDirect() ? mintDirect(o, configArgs, count) : mintWithCli(o, configArgs, count);
    Instant now = Instant.now();
    ConcurrentLinkedQueue<Prepared> out = new ConcurrentLinkedQueue<>();
    IntStream.range(0, tokens.size()).parallel().mapToObj(i -> {
      TaskKey key = TaskKey.generate();
      String token = tokens.get(i);
      return new Prepared(new Attestation("dev", token), key.publicJwk(), key.proofOfPossession(url, token, now));
    }).forEachOrdered(out::add);
    return out;
  }

  /**
   * Mints into the issuer's SQLite file from this process (for issuers older than {@code dev-token --count}, to
   * compare against them).
   */
  private static List<String> mintDirect(Options o, List<String> configArgs, int count) {
    if (o.postgresUrl() != null) {
      throw new IllegalArgumentException("--mint direct works on the SQLite store only");
    }
    Path file = Path.of(configArgs.get(1)).resolve(Stores.DEFAULT_SQLITE_FILE);
    try (JdbcStore store = Stores.openSqlite(file)) {
      DevAttestor dev = new DevAttestor(store, Clock.systemUTC());
      // Many concurrent minters, so the store writer commits their inserts in shared batches.
      ExecutorService minters = Executors.newFixedThreadPool(32);
      try {
        List<Future<String>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          futures.add(minters.submit(() -> dev.mintToken(Duration.ofHours(1))));
        }
        List<String> tokens = new ArrayList<>(count);
        for (Future<String> f : futures) {
          tokens.add(f.get());
        }
        return tokens;
      } catch (Exception e) {
        throw new IllegalStateException("minting dev tokens failed", e);
      } finally {
        minters.shutdownNow();
      }
    }
  }

  private static List<String> mintWithCli(Options o, List<String> configArgs, int count) throws Exception {
    List<String> command = new ArrayList<>(List.of(java(), "-jar", o.issuerJar().toString(), "dev-token", "--count", String.valueOf(count), "--ttl", "1h"));
    command.addAll(configArgs);
    Process minter = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    List<String> tokens = new ArrayList<>(count);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(minter.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("tbdev_")) {
          tokens.add(line.trim());
        }
      }
    }
    if (minter.waitFor() != 0 || tokens.size() != count) {
      throw new IllegalStateException("dev-token minted " + tokens.size() + " of " + count);
    }
    return tokens;
  }

  private static Process start(Options o, List<String> configArgs) throws IOException {
    List<String> command = new ArrayList<>(List.of(java()));
    command.addAll(o.issuerJvm());
    command.addAll(List.of("-jar", o.issuerJar().toString(), "serve", "--listen", "127.0.0.1:0"));
    command.addAll(configArgs);
    if (o.postgresUrl() == null) {
      command.add("--dev");
    }
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  private static List<String> configArgs(Options o, Path dataDir) throws IOException {
    if (o.postgresUrl() == null) {
      return List.of("--data-dir", dataDir.toString());
    }
    Path config = dataDir.resolve("issuer.yaml");
    // No password variable: the URL carries what the server needs (the test server trusts loopback).
    Files.writeString(config, "dev: true\nstore:\n  postgres_url: \"" + o.postgresUrl() + "\"\n  password_env: \"\"\n");
    return List.of("--config", config.toString(), "--data-dir", dataDir.toString());
  }

  /** Reads the issuer's output until it says where it listens; keeps draining it afterwards. */
  private static String url(Process issuer) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(issuer.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = r.readLine()) != null) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        Thread drain = new Thread(() -> {
          try {
            while (r.readLine() != null) {
              // discard the issuer's log
            }
          } catch (IOException e) {
            // the issuer went away
          }
        });
        drain.setDaemon(true);
        drain.start();
        return m.group(1);
      }
    }
    throw new IllegalStateException("the issuer exited before listening");
  }

  /**
   * Waits until {@code /readyz} answers 200 and returns the time since the issuer's JVM was launched: start-up as an
   * orchestrator's readiness probe sees it (the issuer prints its address before it is ready).
   */
  private static double awaitReady(String url, long launchedNanos) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    java.net.http.HttpRequest probe = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/readyz")).build();
    while (true) {
      int status = http.send(probe, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status == 200) {
        return (System.nanoTime() - launchedNanos) / 1e6;
      }
      Thread.sleep(5);
    }
  }

  /** A memory figure of a process from /proc/PID/status ({@code VmRSS} now, {@code VmHWM} its peak), in kB. */
  private static long rssKb(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /**
   * Bytes a process has caused to be written to storage (Linux /proc/PID/io {@code write_bytes}: the store's file
   * and its log, counted when the page cache takes them; sockets are not included). Per operation it shows what the
   * store writes for one begin, which unlike a rate does not depend on how fast this machine is.
   */
  private static long bytesWritten(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "io"))) {
      if (line.startsWith("write_bytes:")) {
        return Long.parseLong(line.substring("write_bytes:".length()).trim());
      }
    }
    return -1;
  }

  /** utime + stime of a process, in clock ticks (Linux /proc/PID/stat, fields 14 and 15). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /**
   * utime + stime of every PostgreSQL server process on this machine (backends, WAL writer, checkpointer; Linux
   * /proc/PID/comm {@code postgres}), in clock ticks: with a server on loopback, what a write costs it. The pool's
   * backends live through a window; a process that comes or goes inside one is counted for the part it was seen.
   */
  private static long postgresCpuTicks() throws IOException {
    long ticks = 0;
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
        try {
          if (Files.readString(proc.resolve("comm")).strip().equals("postgres")) {
            ticks += cpuTicks(Long.parseLong(proc.getFileName().toString()));
          }
        } catch (IOException | RuntimeException gone) {
          // exited while we looked
        }
      }
    }
    return ticks;
  }

  private static double pct(long[] sorted, int p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e6;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static Options parse(String[] args) {
    Path jar = Path.of("spiffe-issuer/server/target/taskbound-issuer.jar");
    String pg = null;
    int seconds = 10;
    int[] clients = {1, 8, 64};
    List<String> modes = List.of("begin", "cycle");
    int rounds = 1;
    int tokenRate = 4000;
    int warmup = 120;
    boolean mintDirect = false;
    List<String> issuerJvm = List.of();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--issuer-jar" -> jar = Path.of(args[++i]);
        case "--postgres" -> pg = args[++i];
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--clients" -> clients = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--modes" -> modes = List.of(args[++i].split(","));
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--tokens-per-second" -> tokenRate = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--issuer-jvm" -> issuerJvm = List.of(args[++i].trim().split("\\s+"));
        case "--mint" -> mintDirect = switch (args[++i]) {
          case "direct" -> true;
          case "cli" -> false;
          default -> throw new IllegalArgumentException("--mint cli|direct");
        };
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (--issuer-jar JAR --postgres JDBC_URL --seconds N --clients 1,8,64 --modes begin,cycle --rounds N --tokens-per-second N --mint cli|direct --issuer-jvm 'JVM OPTIONS' --warmup SECONDS)");
      }
    }
    return new Options(jar, pg, seconds, clients, modes, rounds, tokenRate, mintDirect, issuerJvm, warmup);
  }
}
