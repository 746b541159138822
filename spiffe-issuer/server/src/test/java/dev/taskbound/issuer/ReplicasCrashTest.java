package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.EvidenceRef;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.TaskKey;
import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.CredentialStatus;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.client.evidence.TreeHash;
import dev.taskbound.client.evidence.VerificationResult;
import dev.taskbound.issuer.attest.DevAttestor;
import dev.taskbound.issuer.cli.IssuerCli;
import dev.taskbound.issuer.store.TaskState;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's test of replicas: three issuer replicas, each its own JVM, on one PostgreSQL schema (the server
 * {@code scripts/test} starts). Clients spread every task over them round-robin (begun on one replica, renewed on
 * the next, exchanged on the third, ended on the first) while one replica at a time is killed with SIGKILL (every
 * other kill the one holding the evidence log's lock, mid-batch) and restarted. Clients skip a replica from its kill
 * until its {@code /readyz} answers again (as a load balancer's health check would) and retry a request that was in
 * flight on another. Afterwards: every credential a client received is in its task's evidence bundle; checkpoints
 * fetched from every replica verify with the one log key, sealed in the store, and are consistent with each other and
 * with every checkpoint clients were shown; the stored log has no gap and hashes to the newest checkpoint; the reaper
 * has ended every task clients walked away from. The time from an end on one replica until another's introspection
 * refuses the task is printed (p50/p99), not asserted. Bounded: the schedule hands clients a fixed number of tasks
 * per phase (before a kill, while the replica is down, while it restarts), four kills.
 */
class ReplicasCrashTest {
  private static final int REPLICAS = 3;
  private static final int CLIENTS = 4;
  private static final int KILLS = 4;
  /**
   * Tasks per kill, the kill halfway through them (under load), and again at the end with all replicas up; half as
   * many more while the killed replica restarts.
   */
  private static final int TASKS_PER_PHASE = 32;
  private static final int TASKS = KILLS * (TASKS_PER_PHASE + TASKS_PER_PHASE / 2) + TASKS_PER_PHASE;
  /** Attestation tokens minted up front: one per begin, with room for begins retried after a kill. */
  private static final int TOKENS = TASKS + 100;
  /** Every how many tasks a client walks away without renewing or ending (the reaper's work). */
  private static final int ABANDON_EVERY = 10;
  /** Generous waits for events; they fail the test only when something never happens. */
  private static final Duration SAFETY = Duration.ofSeconds(90);
  private static final String ISSUER_URL = "http://taskbound-lb.test";
  private static final String AUDIENCE = "sts.example";
  private static final String KEY_SECRET = "test-only-key-encryption-secret-0123456789ab";
  private static final String RP_SECRET = "rp-secret-0123456789abcdef";
  private static final String BASIC =
      "Basic " + Base64.getEncoder().encodeToString(("rp:" + RP_SECRET).getBytes(StandardCharsets.UTF_8));
  /** Who holds the evidence log's advisory lock (see EvidenceStore.lock): the replica writing the log right now. */
  private static final String LOG_LOCK_HOLDER =
      "WITH k AS (SELECT hashtext(current_schema() || 'taskbound-evidence-writer')::bigint AS key)"
          + " SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid, k"
          + " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
          + " AND l.classid::bigint = ((k.key >> 32) & 4294967295) AND l.objid::bigint = (k.key & 4294967295)";

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<Replica> replicas = new ArrayList<>();
  private ScratchDatabase db;

  private final Queue<String> tokens = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  /** Tasks the schedule has handed out and clients have not started yet. */
  private final Semaphore permits = new Semaphore(0);
  private final AtomicInteger sequence = new AtomicInteger();
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger retried = new AtomicInteger();
  private final AtomicInteger answers = new AtomicInteger();
  /** Per task, every credential id a client received in a 200 answer: X.509 serial, JWT-SVID and downstream jti. */
  private final Map<String, Set<String>> received = new ConcurrentHashMap<>();
  /** Tasks their clients ended, with the outcome the end answered (the reaper's, had it been first). */
  private final Map<String, String> endedByClient = new ConcurrentHashMap<>();
  private final Set<String> abandoned = ConcurrentHashMap.newKeySet();
  /** Checkpoints clients were shown (every 8th begin or renew answer), each with the replica that showed it. */
  private final Queue<String[]> shown = new ConcurrentLinkedQueue<>();
  private final Queue<Long> revocationMicros = new ConcurrentLinkedQueue<>();
  private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
  /** How long each restart took to answer {@code /readyz} (the first starts included), in seconds. */
  private final List<String> startSeconds = new ArrayList<>();

  /** One issuer process, restarted on the same port and data directory after each kill. */
  private final class Replica {
    final String name;
    final int port;
    final Path config;
    final IssuerClient client;
    volatile Process process;
    /** False from its kill until its restart answers {@code /readyz}: clients go elsewhere meanwhile. */
    volatile boolean up;
    int starts;

    Replica(String name, int port, Path config) {
      this.name = name;
      this.port = port;
      this.config = config;
      this.client = new IssuerClient(url(), http, Clock.systemUTC(), Duration.ofSeconds(20));
    }

    String url() {
      return "http://127.0.0.1:" + port;
    }

    Path dataDir() {
      return dir.resolve(name);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @AfterEach
  void stopAll() throws Exception {
    stop.set(true);
    for (Replica r : replicas) {
      if (r.process != null) {
        r.process.destroy();
      }
    }
    for (Replica r : replicas) {
      if (r.process != null && !r.process.waitFor(20, TimeUnit.SECONDS)) {
        r.process.destroyForcibly();
      }
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void threeReplicasKilledInTurnUnderLoadKeepOneWholeLogAndEndEveryTask() throws Exception {
    long began = System.nanoTime();
    db = ScratchDatabase.postgres();
    DevAttestor dev = new DevAttestor(db.store, Clock.systemUTC());
    for (int i = 0; i < TOKENS; i++) {
      tokens.add(dev.mintToken(Duration.ofMinutes(10)));
    }
    for (int i = 0; i < REPLICAS; i++) {
      replicas.add(configure("replica-" + (char) ('a' + i)));
    }
    // All three start at once on the empty schema: one set of keys, one log key, one empty checkpoint.
    replicas.forEach(this::start);
    for (Replica r : replicas) {
      awaitReady(r);
    }

    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> workers = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      workers.add(clients.submit(this::work));
    }
    List<String> kills = new ArrayList<>();
    Replica victim = replicas.get(0);
    for (int kill = 0; kill < KILLS; kill++) {
      int phase = completed.get();
      permits.release(TASKS_PER_PHASE);
      awaitCompleted(phase + TASKS_PER_PHASE / 2);
      // Under load, with requests in flight: every other kill hits the replica seen holding the evidence log's lock
      // (mid-batch), the others the next one round.
      Optional<Replica> writer = kill % 2 == 0 ? evidenceWriter() : Optional.empty();
      victim = writer.orElse(replicas.get((replicas.indexOf(victim) + 1) % REPLICAS));
      victim.process.destroyForcibly();
      victim.up = false;
      assertThat(victim.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
      kills.add(victim + (writer.isPresent() ? " (seen holding the evidence log's lock)" : ""));
      awaitCompleted(phase + TASKS_PER_PHASE);
      // Restarted under load: clients run more tasks on the other two meanwhile.
      permits.release(TASKS_PER_PHASE / 2);
      start(victim);
      awaitReady(victim);
      awaitCompleted(phase + TASKS_PER_PHASE + TASKS_PER_PHASE / 2);
    }
    runTasks(TASKS_PER_PHASE);
    stop.set(true);
    for (Future<?> w : workers) {
      w.get(SAFETY.toSeconds(), TimeUnit.SECONDS);
    }
    clients.shutdown();
    long loadEnded = System.nanoTime();
    assertThat(unexpected).as("requests that failed other than by a replica being down").isEmpty();

    // One log key, sealed in the store: every replica serves it and none has it on disk.
    NoteKey key = NoteKey.parse(replicas.get(0).client.evidenceKey());
    for (Replica r : replicas) {
      assertThat(NoteKey.parse(r.client.evidenceKey())).as(r.name).isEqualTo(key);
      assertThat(r.dataDir().resolve("evidence-log-key.pem")).doesNotExist();
    }

    // No task stays active past the reaper: the tasks clients walked away from, or whose begin answer a kill cut off.
    await("every task ended").atMost(SAFETY).pollInterval(Duration.ofMillis(250))
        .until(() -> db.store.listTasks(TaskState.ACTIVE, 1).isEmpty());
    long reaped = System.nanoTime();

    int credentials = checkEveryBundle(key);
    List<String> finals = checkCheckpointsOfEveryReplica(key);
    checkStoredLog(key, finals);

    List<Long> micros = new ArrayList<>(revocationMicros);
    Collections.sort(micros);
    assertThat(micros).as("revocation samples").isNotEmpty();
    System.out.printf(
        "replicas crash test: %d replicas, %d clients, kill -9 of %s; %d tasks (%d ended by their clients, %d left to the"
            + " reaper), %d requests retried on another replica, %d credentials received and found in their bundles, log"
            + " size %d; revocation to visibility on another replica (end answered on one -> introspection on another"
            + " inactive) over %d ends: p50 %.1f ms, p99 %.1f ms, max %.1f ms; starts to ready %s s; until the load ended"
            + " %.1f s, the reaper %.1f s, whole test %.1f s%n",
        REPLICAS, CLIENTS, kills, received.size(), endedByClient.size(), received.size() - endedByClient.size(),
        retried.get(), credentials, SignedNote.openCheckpoint(finals.get(0), key).size(), micros.size(),
        percentile(micros, 50), percentile(micros, 99), micros.get(micros.size() - 1) / 1000.0,
        startSeconds, (loadEnded - began) / 1e9, (reaped - loadEnded) / 1e9, (System.nanoTime() - began) / 1e9);
    assertThat(abandoned).isNotEmpty();
  }

  // ---- clients -----------------------------------------------------------------------------------------------

  private void work() {
    while (!stop.get()) {
      try {
        if (!permits.tryAcquire(50, TimeUnit.MILLISECONDS)) {
          continue;
        }
      } catch (InterruptedException e) {
        return;
      }
      try {
        task(sequence.getAndIncrement());
      } catch (OutOfTokens e) {
        return;
      } catch (RuntimeException e) {
        unexpected.add(e.toString());
      }
      completed.incrementAndGet();
    }
  }

  /** Thrown when the minted tokens run out (more begins retried than allowed for): the schedule fails, naming why. */
  private static final class OutOfTokens extends RuntimeException {
    OutOfTokens() {
      super("out of attestation tokens", null, false, false);
    }
  }

  /** One task, its requests round-robin from replica {@code k % 3}: begin, renew, exchange, then end where it began. */
  private void task(int k) {
    int first = k % REPLICAS;
    BeginTaskResponse begun = onReplicas(first, r -> {
      String token = tokens.poll();
      if (token == null) {
        throw new OutOfTokens();
      }
      // A fresh token and key for every attempt: a replica killed mid-begin may have spent the last one.
      TaskKey key = TaskKey.generate();
      // Addressed to the load balancer (issuer_url), as every replica expects, though sent to this replica directly.
      String proof = key.proofOfPossession(ISSUER_URL, token, Instant.now());
      return r.client.begin(new Attestation(DevAttestor.TYPE, token), key.publicJwk(), proof, List.of(ISSUER_URL, AUDIENCE), null);
    }).value();
    String taskId = begun.taskId();
    receive(taskId, begun.x509SvidChainPem(), begun.jwtSvids(), begun.evidence(), first);
    if (k % ABANDON_EVERY == ABANDON_EVERY - 1) {
      abandoned.add(taskId);
      return;
    }
    RenewTaskResponse renewed = onReplicas(first + 1, r -> r.client.renew(taskId, begun.controlToken())).value();
    receive(taskId, renewed.x509SvidChainPem(), renewed.jwtSvids(), renewed.evidence(), first + 1);
    String downstream =
        onReplicas(first + 2, r -> r.client.exchange(svidFor(renewed.jwtSvids(), ISSUER_URL), AUDIENCE)).value().token();
    received.get(taskId).add(jti(downstream));

    // Revocation across replicas: the next replica has the task's JWT-SVID cached as active; the end goes to the first.
    Replica watcher = replicas.get((first + 1) % REPLICAS);
    String watched = svidFor(renewed.jwtSvids(), AUDIENCE);
    Boolean activeBefore = watcher.up ? introspect(watcher, watched) : null;
    Answer<EndTaskResponse> ended = onReplicas(first, r -> r.client.end(taskId, begun.controlToken(), "succeeded", null));
    long endAnswered = System.nanoTime();
    endedByClient.put(taskId, ended.value().outcome());
    if (Boolean.TRUE.equals(activeBefore) && ended.replica() != watcher) {
      measureRevocation(watcher, ended.replica(), watched, endAnswered);
    }
  }

  private void receive(String taskId, String chainPem, List<JwtSvidCredential> jwts, EvidenceRef evidence, int replica) {
    Set<String> ids = received.computeIfAbsent(taskId, t -> ConcurrentHashMap.newKeySet());
    ids.add(EvidenceCrashTest.serialHex(chainPem));
    jwts.forEach(j -> ids.add(jti(j.token())));
    if (answers.incrementAndGet() % 8 == 0) {
      shown.add(new String[] {replicas.get(replica % REPLICAS).name, evidence.checkpoint()});
    }
  }

  /** Polls the watcher's introspection until it refuses the ended task; drops the sample if the watcher goes down. */
  private void measureRevocation(Replica watcher, Replica ender, String token, long endAnswered) {
    long deadline = endAnswered + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Boolean active = introspect(watcher, token);
      if (active == null) {
        return;
      }
      if (!active) {
        revocationMicros.add((System.nanoTime() - endAnswered) / 1_000);
        return;
      }
    }
    unexpected.add(watcher + " still said active 30 s after " + ender + " answered the task's end");
  }

  private record Answer<T>(Replica replica, T value) {}

  /**
   * Runs {@code call} on replica {@code first}, or on the next ones while a replica is down (skipped, as a load
   * balancer skips one its health check failed) or does not answer, or answers 503. Anything else fails the task.
   */
  private <T> Answer<T> onReplicas(int first, Function<Replica, T> call) {
    IssuerException last = null;
    long deadline = System.nanoTime() + SAFETY.toNanos();
    for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
      Replica r = replicas.get((first + attempt) % REPLICAS);
      if (!r.up) {
        continue;
      }
      try {
        return new Answer<>(r, call.apply(r));
      } catch (IssuerException e) {
        if (e.status() != 0 && e.status() != 503) {
          throw e;
        }
        last = e;
        retried.incrementAndGet();
        if (attempt % REPLICAS == REPLICAS - 1) {
          sleep(100);
        }
      }
    }
    throw new IllegalStateException("no replica answered within " + SAFETY, last);
  }

  private Boolean introspect(Replica r, String token) {
    try {
      HttpResponse<String> response = http.send(
          HttpRequest.newBuilder(URI.create(r.url() + "/introspect"))
              .timeout(Duration.ofSeconds(10))
              .header("Authorization", BASIC)
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        if (response.statusCode() != 503) {
          unexpected.add("introspection on " + r + " answered " + response.statusCode() + ": " + response.body());
        }
        return null;
      }
      return ApiJson.mapper().readTree(response.body()).get("active").asBoolean();
    } catch (java.io.IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  // ---- the schedule ------------------------------------------------------------------------------------------

  /** Hands clients {@code tasks} more tasks and waits until they have run them. */
  private void runTasks(int tasks) {
    int target = completed.get() + tasks;
    permits.release(tasks);
    awaitCompleted(target);
  }

  private void awaitCompleted(int target) {
    await("%d tasks run".formatted(target)).atMost(SAFETY).pollInterval(Duration.ofMillis(20)).until(() -> {
      if (tokens.isEmpty()) {
        fail("the clients ran out of attestation tokens; unexpected failures: %s", unexpected);
      }
      return completed.get() >= target;
    });
  }

  /** The replica whose write batch holds the evidence log's lock, caught within a few seconds of load; else none. */
  private Optional<Replica> evidenceWriter() throws Exception {
    try (Connection c = DriverManager.getConnection(db.schemaUrl());
        PreparedStatement holder = c.prepareStatement(LOG_LOCK_HOLDER)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < deadline) {
        try (ResultSet rs = holder.executeQuery()) {
          if (rs.next()) {
            String name = rs.getString(1);
            return replicas.stream().filter(r -> r.name.equals(name)).findFirst();
          }
        }
      }
    }
    return Optional.empty();
  }

  // ---- checks ------------------------------------------------------------------------------------------------

  /**
   * Every task's bundle, fetched round-robin from the replicas, verifies, says how the task ended, and names every
   * credential its client received. An end whose evidence a killed replica did not write is logged by another's
   * pending-evidence pass, so a bundle without its end is fetched again until it has it.
   */
  private int checkEveryBundle(NoteKey key) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<Integer>> checks = new ArrayList<>();
    int i = 0;
    for (var task : received.entrySet()) {
      Replica r = replicas.get(i++ % REPLICAS);
      checks.add(pool.submit(() -> {
        VerificationResult[] result = new VerificationResult[1];
        await("the end of " + task.getKey() + " in its bundle").atMost(SAFETY)
            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(250)).until(() -> {
          result[0] = EvidenceVerifier.verify(r.client.evidenceBundle(task.getKey()), key);
          return result[0].statement() != null && result[0].statement().outcome() != null;
        });
        assertThat(result[0].failures()).as("bundle of %s from %s", task.getKey(), r).isEmpty();
        String expected = endedByClient.getOrDefault(task.getKey(), "abandoned");
        assertThat(result[0].statement().outcome()).as("outcome of %s", task.getKey()).isEqualTo(expected);
        Set<String> logged = new HashSet<>();
        for (CredentialStatus c : result[0].statement().credentials()) {
          logged.add(c.credentialId());
        }
        assertThat(logged).as("credentials in the bundle of %s", task.getKey()).containsAll(task.getValue());
        return task.getValue().size();
      }));
    }
    int count = 0;
    for (Future<Integer> f : checks) {
      count += f.get(SAFETY.toSeconds(), TimeUnit.SECONDS);
    }
    pool.shutdown();
    return count;
  }

  /**
   * The newest checkpoint of every replica verifies with the one key; each pair, and every checkpoint clients were
   * shown, is proven consistent with the newest by a proof fetched from yet another replica. Returns the newest
   * checkpoints, newest first.
   */
  private List<String> checkCheckpointsOfEveryReplica(NoteKey key) {
    List<String> finals = new ArrayList<>();
    for (Replica r : replicas) {
      finals.add(r.client.evidenceCheckpoint());
    }
    finals.sort((x, y) -> Long.compare(size(y, key), size(x, key)));
    String newest = finals.get(0);
    int i = 0;
    List<String[]> earlier = new ArrayList<>(shown);
    for (String note : finals) {
      earlier.add(new String[] {"a replica, at the end", note});
    }
    for (String[] seen : earlier) {
      Replica prover = replicas.get(i++ % REPLICAS);
      long from = size(seen[1], key);
      long to = size(newest, key);
      assertThat(EvidenceVerifier.checkConsistency(seen[1], newest, prover.client.consistencyProof(from, to).hashes(), key))
          .as("checkpoint of size %d shown by %s, proven consistent with size %d by %s", from, seen[0], to, prover)
          .isEmpty();
    }
    return finals;
  }

  /** The stored leaves run 0..n-1 without a gap, hash to their entries and to the newest checkpoint's root. */
  private void checkStoredLog(NoteKey key, List<String> finals) throws Exception {
    List<byte[]> leaves = new ArrayList<>();
    String latest;
    try (Connection c = DriverManager.getConnection(db.schemaUrl());
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT leaf_index, entry, leaf_hash FROM evidence_entries ORDER BY leaf_index")) {
        while (rs.next()) {
          assertThat(rs.getLong(1)).as("leaf index without a gap").isEqualTo(leaves.size());
          byte[] leaf = TreeHash.leaf(rs.getString(2).getBytes(StandardCharsets.UTF_8));
          assertThat(HexFormat.of().formatHex(leaf)).isEqualTo(rs.getString(3));
          leaves.add(leaf);
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT note FROM evidence_checkpoints ORDER BY tree_size DESC LIMIT 1")) {
        assertThat(rs.next()).isTrue();
        latest = rs.getString(1);
      }
    }
    Checkpoint signed = SignedNote.openCheckpoint(latest, key);
    assertThat(signed.size()).as("the newest checkpoint covers exactly the stored leaves").isEqualTo(leaves.size());
    assertThat(EvidenceCrashTest.root(leaves)).isEqualTo(signed.rootHash());
    assertThat(signed.size()).as("no replica served more than the store holds").isGreaterThanOrEqualTo(size(finals.get(0), key));
  }

  // ---- the replica processes ---------------------------------------------------------------------------------

  private Replica configure(String name) throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    Path config = dir.resolve(name + ".yaml");
    // The same file on every replica but for listen, data_dir and the database connection's application name (which
    // tells the test which replica holds the evidence log's lock).
    Files.writeString(
        config,
        String.join(
            "\n",
            "dev: true",
            "listen: 127.0.0.1:" + port,
            "issuer_url: " + ISSUER_URL,
            "data_dir: " + dir.resolve(name),
            "store: {postgres_url: '" + db.schemaUrl() + "&ApplicationName=" + name + "', password_env: '',"
                + " key_encryption_env: TB_KEY_SECRET}",
            "ttl: {task_default: 30m, renew_interval: 5s, heartbeat: 10s}",
            "introspection:",
            "  clients:",
            "    - {id: rp, secret_env: TB_RP_SECRET, audiences: [" + AUDIENCE + "]}",
            ""));
    return new Replica(name, port, config);
  }

  private void start(Replica r) {
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                IssuerCli.class.getName(),
                "serve",
                "--config",
                r.config.toString())
            .redirectOutput(dir.resolve(r.name + "-" + r.starts + ".out").toFile())
            .redirectError(dir.resolve(r.name + "-" + r.starts + ".err").toFile());
    pb.environment().put("TB_KEY_SECRET", KEY_SECRET);
    pb.environment().put("TB_RP_SECRET", RP_SECRET);
    try {
      r.process = pb.start();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot start " + r, e);
    }
    r.starts++;
  }

  /** Waits until the replica's {@code /readyz} answers 200; fails at once if its process exits. */
  private void awaitReady(Replica r) throws Exception {
    long started = System.nanoTime();
    long deadline = started + SAFETY.toNanos();
    while (System.nanoTime() < deadline) {
      if (!r.process.isAlive()) {
        fail("%s exited on start %d: %s", r, r.starts, tail(dir.resolve(r.name + "-" + (r.starts - 1) + ".err")));
      }
      try {
        HttpResponse<Void> ready = http.send(
            HttpRequest.newBuilder(URI.create(r.url() + "/readyz")).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        if (ready.statusCode() == 200) {
          r.up = true;
          startSeconds.add("%.1f".formatted((System.nanoTime() - started) / 1e9));
          return;
        }
      } catch (java.io.IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    fail("%s was not ready within %s: %s", r, SAFETY, tail(dir.resolve(r.name + "-" + (r.starts - 1) + ".err")));
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  private static String svidFor(List<JwtSvidCredential> jwts, String audience) {
    return jwts.stream().filter(j -> j.audience().equals(audience)).findFirst().orElseThrow().token();
  }

  private static String jti(String jwt) {
    try {
      return SignedJWT.parse(jwt).getJWTClaimsSet().getJWTID();
    } catch (java.text.ParseException e) {
      throw new AssertionError("a token does not parse", e);
    }
  }

  private static long size(String note, NoteKey key) {
    return SignedNote.openCheckpoint(note, key).size();
  }

  private static double percentile(List<Long> sortedMicros, int p) {
    return sortedMicros.get((int) Math.ceil(sortedMicros.size() * p / 100.0) - 1) / 1000.0;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String tail(Path file) throws Exception {
    String s = Files.exists(file) ? Files.readString(file) : "(no output)";
    return s.substring(Math.max(0, s.length() - 3000));
  }
}
