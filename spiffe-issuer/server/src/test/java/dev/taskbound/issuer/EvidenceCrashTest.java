package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
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
import dev.taskbound.client.evidence.VerificationResult.Failure;
import dev.taskbound.issuer.attest.DevAttestor;
import dev.taskbound.issuer.cli.IssuerCli;
import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.Stores;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * [4/7] item 6: the issuer runs as its own JVM under load from several clients and is killed with SIGKILL at
 * random moments, then restarted on the same data directory. After every restart: the log opens, its checkpoint
 * never shrinks and is consistent with every checkpoint seen before, the stored leaves have no gap and hash to the
 * signed root, and every credential any client received has its {@code credential.issued} entry in its task's
 * bundle.
 */
class EvidenceCrashTest {
  private static final int ROUNDS = 5;
  private static final int CLIENTS = 6;
  private static final int TOKENS_PER_ROUND = 150;
  private static final Pattern LISTENING = Pattern.compile("Taskbound issuer listening on (http://127\\.0\\.0\\.1:\\d+)");

  @TempDir Path dataDir;

  /** What clients were given: per task, every credential id (X.509 serial, JWT jti) from a 200 answer. */
  private final Map<String, Set<String>> received = new ConcurrentHashMap<>();
  private final Map<String, String> controlTokens = new ConcurrentHashMap<>();
  private final Set<String> ended = ConcurrentHashMap.newKeySet();
  private final AtomicReference<String> newestSeen = new AtomicReference<>();
  private final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
  private final AtomicInteger cutOff = new AtomicInteger();
  private NoteKey key;

  @Test
  void killedRepeatedlyUnderLoadTheLogSurvivesWholeAndCoversEveryReleasedCredential() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    String lastRestartNote = null;
    int credentialsChecked = 0;
    for (int round = 0; round <= ROUNDS; round++) {
      if (round > 0) {
        checkStoredLog();
      }
      Queue<String> tokens = mintTokens(round < ROUNDS ? TOKENS_PER_ROUND : 0);
      Process issuer = serve(round);
      try {
        IssuerClient client = client(issuerUrl(issuer, round));
        NoteKey served = NoteKey.parse(client.evidenceKey());
        if (key == null) {
          key = served;
        }
        assertThat(served).as("the log key survives restarts").isEqualTo(key);
        String note = client.evidenceCheckpoint();
        Checkpoint now = SignedNote.openCheckpoint(note, key);
        for (String before : Arrays.asList(lastRestartNote, newestSeen.get())) {
          if (before != null) {
            assertConsistent(client, before, note, now);
          }
        }
        lastRestartNote = note;
        endTasksLeftRunning(client);
        credentialsChecked = checkEveryBundle(client, round == ROUNDS);
        if (round < ROUNDS) {
          loadThenKill(issuer, client, tokens, 400 + random.nextInt(1600));
        }
      } finally {
        if (issuer.isAlive()) {
          issuer.destroy();
          issuer.waitFor(20, TimeUnit.SECONDS);
        }
      }
    }
    assertThat(unexpected).as("errors before any kill (seed %d)", seed).isEmpty();
    System.out.printf("evidence crash test (seed %d): %d kill -9 rounds, %d tasks (%d cut off mid-task and ended after a "
        + "restart), %d credentials received and found in their bundles, log size %d%n", seed, ROUNDS, received.size(), cutOff.get(),
        credentialsChecked, SignedNote.openCheckpoint(lastRestartNote, key).size());
    assertThat(received).hasSizeGreaterThan(ROUNDS);
  }

  // ---- load --------------------------------------------------------------------------------------------------

  private void loadThenKill(Process issuer, IssuerClient client, Queue<String> tokens, long killAfterMillis) throws Exception {
    AtomicBoolean killed = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> workers = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      workers.add(pool.submit(() -> work(client, tokens, killed)));
    }
    Thread.sleep(killAfterMillis);
    killed.set(true);
    issuer.destroyForcibly();
    assertThat(issuer.waitFor(20, TimeUnit.SECONDS)).isTrue();
    for (Future<?> w : workers) {
      w.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
  }

  private void work(IssuerClient client, Queue<String> tokens, AtomicBoolean killed) {
    String token;
    while (!killed.get() && (token = tokens.poll()) != null) {
      try {
        BeginTaskResponse begun = client.begin(new Attestation(DevAttestor.TYPE, token), TaskKey.generate(), List.of("crash.example"), null);
        controlTokens.put(begun.taskId(), begun.controlToken());
        receive(begun.taskId(), begun.x509SvidChainPem(), begun.jwtSvids(), begun.evidence());
        RenewTaskResponse renewed = client.renew(begun.taskId(), begun.controlToken());
        receive(begun.taskId(), renewed.x509SvidChainPem(), renewed.jwtSvids(), renewed.evidence());
        client.end(begun.taskId(), begun.controlToken(), "succeeded", null);
        ended.add(begun.taskId());
      } catch (IssuerException e) {
        if (!killed.get()) {
          unexpected.add(e.getMessage());
        }
      }
    }
  }

  private void receive(String taskId, String chainPem, List<JwtSvidCredential> jwts, EvidenceRef evidence) {
    Set<String> ids = received.computeIfAbsent(taskId, t -> ConcurrentHashMap.newKeySet());
    ids.add(serialHex(chainPem));
    for (JwtSvidCredential j : jwts) {
      try {
        ids.add(SignedJWT.parse(j.token()).getJWTClaimsSet().getJWTID());
      } catch (java.text.ParseException e) {
        throw new AssertionError("a JWT-SVID does not parse", e);
      }
    }
    newestSeen.accumulateAndGet(evidence.checkpoint(), (a, b) -> a == null || size(b) > size(a) ? b : a);
  }

  // ---- checks ------------------------------------------------------------------------------------------------

  private void assertConsistent(IssuerClient client, String before, String note, Checkpoint now) {
    Checkpoint old = SignedNote.openCheckpoint(before, key);
    assertThat(now.size()).as("the checkpoint never shrinks").isGreaterThanOrEqualTo(old.size());
    List<Failure> failures =
        EvidenceVerifier.checkConsistency(before, note, client.consistencyProof(old.size(), now.size()).hashes(), key);
    assertThat(failures).as("size %d -> %d", old.size(), now.size()).isEmpty();
  }

  /** Ends, through the restarted issuer, every task whose client was cut off before it could. */
  private void endTasksLeftRunning(IssuerClient client) {
    for (String taskId : received.keySet()) {
      if (!ended.contains(taskId)) {
        client.end(taskId, controlTokens.get(taskId), "aborted", "client cut off by an issuer crash");
        ended.add(taskId);
        cutOff.incrementAndGet();
      }
    }
  }

  /** Every task's bundle verifies and names every credential its client received; returns how many were checked. */
  private int checkEveryBundle(IssuerClient client, boolean last) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<Integer>> checks = new ArrayList<>();
    for (var task : received.entrySet()) {
      checks.add(pool.submit(() -> {
        VerificationResult r = EvidenceVerifier.verify(client.evidenceBundle(task.getKey()), key);
        assertThat(r.failures()).as("bundle of %s", task.getKey()).isEmpty();
        Set<String> logged = new java.util.HashSet<>();
        for (CredentialStatus c : r.statement().credentials()) {
          logged.add(c.credentialId());
        }
        assertThat(logged).as("credential.issued entries of %s", task.getKey()).containsAll(task.getValue());
        return task.getValue().size();
      }));
    }
    int count = 0;
    for (Future<Integer> f : checks) {
      count += f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    return count;
  }

  /**
   * With the issuer dead: the stored leaves run 0..n-1 without a gap, each hashes to its stored leaf hash, they
   * hash to the root of the newest signed checkpoint, which covers exactly them and everything a client was shown.
   */
  private void checkStoredLog() throws Exception {
    List<byte[]> leaves = new ArrayList<>();
    String latest;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve(Stores.DEFAULT_SQLITE_FILE));
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
    assertThat(signed.size()).as("the newest signed checkpoint covers exactly the stored leaves").isEqualTo(leaves.size());
    assertThat(root(leaves)).isEqualTo(signed.rootHash());
    if (newestSeen.get() != null) {
      assertThat(signed.size()).as("every checkpoint a client was shown survived").isGreaterThanOrEqualTo(size(newestSeen.get()));
    }
  }

  /** RFC 6962 Merkle tree hash, written out here independently of the issuer's tree. */
  static byte[] root(List<byte[]> leaves) {
    if (leaves.isEmpty()) {
      return TreeHash.empty();
    }
    if (leaves.size() == 1) {
      return leaves.get(0);
    }
    int k = Integer.highestOneBit(leaves.size() - 1);
    return TreeHash.node(root(leaves.subList(0, k)), root(leaves.subList(k, leaves.size())));
  }

  // ---- the issuer process ------------------------------------------------------------------------------------

  private Queue<String> mintTokens(int count) {
    Queue<String> tokens = new ConcurrentLinkedQueue<>();
    if (count == 0) {
      return tokens;
    }
    try (JdbcStore store = Stores.openSqlite(dataDir.resolve(Stores.DEFAULT_SQLITE_FILE))) {
      DevAttestor dev = new DevAttestor(store, Clock.systemUTC());
      for (int i = 0; i < count; i++) {
        tokens.add(dev.mintToken(Duration.ofMinutes(10)));
      }
    }
    return tokens;
  }

  private Process serve(int round) throws Exception {
    return new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            IssuerCli.class.getName(),
            "serve",
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            dataDir.toString())
        .redirectOutput(dataDir.resolve("serve-" + round + ".out").toFile())
        .redirectError(dataDir.resolve("serve-" + round + ".err").toFile())
        .start();
  }

  private String issuerUrl(Process issuer, int round) throws Exception {
    Path out = dataDir.resolve("serve-" + round + ".out");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(Files.readString(out));
      if (m.find()) {
        return m.group(1);
      }
      if (!issuer.isAlive()) {
        // The log refuses to open when its leaves and its last signed checkpoint disagree: that is a failure here.
        fail("the issuer did not restart after round %d: %s", round, tail(dataDir.resolve("serve-" + round + ".err")));
      }
      Thread.sleep(50);
    }
    return fail("the issuer did not start within 40 s: %s", tail(dataDir.resolve("serve-" + round + ".err")));
  }

  private static String tail(Path file) throws Exception {
    String s = Files.readString(file);
    return s.substring(Math.max(0, s.length() - 3000));
  }

  private static IssuerClient client(String url) {
    return new IssuerClient(
        url, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(), Clock.systemUTC(), Duration.ofSeconds(15));
  }

  private static long size(String note) {
    return Long.parseLong(note.split("\n", 3)[1]);
  }

  static String serialHex(String chainPem) {
    try {
      X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(chainPem.getBytes(StandardCharsets.US_ASCII)));
      return EndAndEvidenceAgreeTest.opensslSerial(leaf).toLowerCase(java.util.Locale.ROOT);
    } catch (java.security.cert.CertificateException e) {
      throw new AssertionError("the X.509-SVID chain does not parse", e);
    }
  }
}
