package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.client.evidence.VerificationResult;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.BundleKeyRecord;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.KeyState;
import dev.taskbound.issuer.store.RevocationFeed;
import dev.taskbound.issuer.testing.ScratchDatabase;
import dev.taskbound.issuer.testing.ShiftedClock;
import dev.taskbound.issuer.testing.TcpProxy;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two issuer replicas in one JVM on one PostgreSQL schema (the test server of {@code scripts/test}), each with its own
 * listener and data directory, sharing keys through the store: the same bundle, JWKS, SET keys, CRL issuer and
 * evidence log key; rotation by one is taken up by the other and neither retires the other's keys; an end on one is
 * refused by the other as it commits (LISTEN/NOTIFY); Shared Signals of an end committed anywhere are pushed exactly
 * once; either serves the whole evidence log, whichever wrote it.
 */
class ReplicasTest {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicasTest.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String KEY_SECRET = "test-only-key-encryption-secret-0123456789ab";
  private static final String RP_SECRET = "rp-secret-0123456789abcdef";
  private static final String BASIC =
      "Basic " + Base64.getEncoder().encodeToString(("rp:" + RP_SECRET).getBytes(StandardCharsets.UTF_8));

  @TempDir Path dir;
  private final ShiftedClock clock = new ShiftedClock();
  private final List<Issuer> issuers = new ArrayList<>();
  private final Map<Issuer, Integer> ports = new HashMap<>();
  /** The load balancer in front of the replicas: {@code issuer_url} of both, as in production. */
  private TcpProxy lb;
  private final List<String> received = new CopyOnWriteArrayList<>();
  private ScratchDatabase db;
  private String schemaUrl;
  private HttpServer receiver;

  @BeforeEach
  void database() throws Exception {
    db = ScratchDatabase.postgres();
    schemaUrl = db.schemaUrl();
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/events", exchange -> {
      received.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      exchange.sendResponseHeaders(202, -1);
      exchange.close();
    });
    receiver.start();
    lb = new TcpProxy("127.0.0.1", 1);
  }

  @AfterEach
  void stop() {
    Collections.reverse(issuers);
    issuers.forEach(Issuer::close);
    receiver.stop(0);
    if (lb != null) {
      lb.close();
    }
    if (db != null) {
      db.close();
    }
  }

  private Issuer replica(String name) throws Exception {
    return replica(name, true);
  }

  /** {@code sealedKeys} false: an issuer as one ran before replicas, its keys (the log key too) in its data directory. */
  private Issuer replica(String name, boolean sealedKeys) throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    Path config = dir.resolve(name + ".yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "dev: true",
            "listen: 127.0.0.1:" + port,
            "issuer_url: http://127.0.0.1:" + lb.port(),
            "data_dir: " + dir.resolve(name),
            "store: {postgres_url: '" + schemaUrl + "', password_env: ''"
                + (sealedKeys ? ", key_encryption_env: TB_KEY_SECRET}" : "}"),
            "jwt: {rotate_after: 2h, prepare_before: 1h}",
            "ttl: {task_default: 30m, heartbeat: 10m}",
            "introspection:",
            "  clients:",
            "    - {id: rp, secret_env: TB_RP_SECRET, audiences: [vault]}",
            "signals:",
            "  receivers:",
            "    - url: http://127.0.0.1:" + receiver.getAddress().getPort() + "/events",
            "      audience: https://receiver.example/ssf",
            ""));
    Issuer issuer =
        Issuer.start(
            ConfigLoader.load(config), clock,
            env -> switch (env) {
              case "TB_KEY_SECRET" -> KEY_SECRET;
              case "TB_RP_SECRET" -> RP_SECRET;
              default -> System.getenv(env);
            });
    issuers.add(issuer);
    ports.put(issuer, port);
    return issuer;
  }

  // ---- keys ------------------------------------------------------------------------------------------------

  @Test
  void replicasPublishTheSameKeysAndTakeTurnsRotatingThem() throws Exception {
    Issuer a = replica("a");
    long sequence = a.store().bundleSequence();
    Issuer b = replica("b");
    // B's start found A's keys usable (shared, sealed in the store): it retired nothing and generated nothing.
    assertThat(a.store().bundleSequence()).isEqualTo(sequence);
    assertSamePublications(a, b);
    assertThat(crlIssuer(a)).isEqualTo(crlIssuer(b));

    String activeJwtKid = activeKid("jwt-svid");
    // Past the JWT key's term: one replica activates the successor, the other takes it up and changes nothing.
    clock.advance(Duration.ofHours(2).plusMinutes(1));
    a.rotateKeys();
    long afterA = a.store().bundleSequence();
    assertThat(afterA).isGreaterThan(sequence);
    String successor = activeKid("jwt-svid");
    assertThat(successor).isNotEqualTo(activeJwtKid);
    b.rotateKeys();
    assertThat(b.store().bundleSequence()).as("B retired nothing A made").isEqualTo(afterA);
    assertSamePublications(a, b);
    for (String use : List.of("jwt-svid", "x509-svid")) {
      assertThat(keys(use, KeyState.ACTIVE)).as("one active %s key", use).hasSize(1);
    }
    assertThat(keys("jwt-svid", KeyState.RETIRED)).extracting(BundleKeyRecord::kid).containsExactly(activeJwtKid);
    // Back to real time for the clients' proofs of possession; the successor stays active.
    clock.reset();
    // B signs with the successor A activated.
    BeginTaskResponse onB = begin(b);
    assertThat(SignedJWT.parse(onB.jwtSvids().get(0).token()).getHeader().getKeyID()).isEqualTo(successor);
    // A's SVIDs verify on B and the other way round (one trust bundle): introspection on either says active.
    BeginTaskResponse onA = begin(a);
    assertThat(introspect(b, onA.jwtSvids().get(0).token()).get("active").asBoolean()).isTrue();
    assertThat(introspect(a, onB.jwtSvids().get(0).token()).get("active").asBoolean()).isTrue();
  }

  private void assertSamePublications(Issuer a, Issuer b) throws Exception {
    for (String path : List.of("/bundle", "/jwks", "/ssf/jwks")) {
      assertThat(get(b, path).body()).as(path).isEqualTo(get(a, path).body());
    }
  }

  private String activeKid(String use) {
    return keys(use, KeyState.ACTIVE).get(0).kid();
  }

  private List<BundleKeyRecord> keys(String use, KeyState state) {
    return db.store.bundleKeys().stream().filter(k -> k.use().equals(use) && k.state() == state).toList();
  }

  private String crlIssuer(Issuer issuer) throws Exception {
    HttpResponse<byte[]> r = HTTP.send(
        HttpRequest.newBuilder(URI.create(direct(issuer) + "/crl")).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(r.body()));
    return crl.getIssuerX500Principal().getName();
  }

  // ---- revocation across replicas --------------------------------------------------------------------------

  @Test
  void theEndTransactionAnnouncesItsRevocations() throws Exception {
    Issuer a = replica("a");
    BlockingQueue<String> heard = new LinkedBlockingQueue<>();
    try (RevocationFeed feed =
        ((JdbcStore) db.store).listenForRevocations(new RevocationFeed.Listener() {
          @Override
          public void taskEnded(String taskId, Instant expiresAt) {
            heard.add("ended " + taskId);
          }

          @Override
          public void credentialRevoked(CredentialKind kind, String credentialId, Instant expiresAt) {
            heard.add("revoked " + kind.wire() + " " + credentialId);
          }

          @Override
          public void resync() {}
        })) {
      assertThat(feed.awaitListening(Duration.ofSeconds(30))).isTrue();
      BeginTaskResponse task = begin(a);
      String jti = SignedJWT.parse(task.jwtSvids().get(0).token()).getJWTClaimsSet().getJWTID();
      // A credential revoked on its own (/revoke by the task), then the task's end: one line each, at commit.
      HttpResponse<String> revoked =
          post(a, "/revoke", "Bearer " + task.controlToken(), "token=" + enc(task.jwtSvids().get(0).token()));
      assertThat(revoked.statusCode()).isEqualTo(200);
      assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo("revoked jwt-svid " + jti);
      // An operator-style end straight in the store (no issuer code at all) is announced too.
      db.store.endTask(task.taskId(), TaskOutcome.REVOKED, "test", clock.instant());
      assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo("ended " + task.taskId());
      assertThat(heard).isEmpty();
    }
  }

  @Test
  void anEndOnOneReplicaIsRefusedByTheOtherAsItCommits() throws Exception {
    Issuer a = replica("a");
    Issuer b = replica("b");
    int ends = Integer.getInteger("taskbound.replicas.ends", 200);
    List<BeginTaskResponse> tasks = new ArrayList<>();
    for (int i = 0; i < ends; i++) {
      tasks.add(begin(a));
    }
    List<Long> micros = new ArrayList<>();
    List<Long> endMicros = new ArrayList<>();
    List<Long> fromRequestMicros = new ArrayList<>();
    for (BeginTaskResponse t : tasks) {
      // Now cached as active on A (for 2 s): only the end's announcement, or the 5 s refresh, can change A's answer
      // sooner, so what is measured below is the announcement.
      assertThat(introspect(a, t.jwtSvids().get(0).token()).get("active").asBoolean()).isTrue();
      long ending = System.nanoTime();
      end(b, t);
      long ended = System.nanoTime();
      endMicros.add((ended - ending) / 1_000);
      // Wait for the event: A refuses the task's JWT-SVID.
      while (introspect(a, t.jwtSvids().get(0).token()).get("active").asBoolean()) {
        Thread.onSpinWait();
      }
      long visible = System.nanoTime();
      micros.add((visible - ended) / 1_000);
      fromRequestMicros.add((visible - ending) / 1_000);
    }
    Collections.sort(micros);
    Collections.sort(endMicros);
    Collections.sort(fromRequestMicros);
    LOG.info("end request sent to B -> introspection on A inactive (upper bound, includes the end itself): p50 {} ms, p99 {} ms",
        fromRequestMicros.get(fromRequestMicros.size() / 2) / 1000.0,
        fromRequestMicros.get((int) Math.ceil(fromRequestMicros.size() * 0.99) - 1) / 1000.0);
    LOG.info("end on B over {} ends: p50 {} ms, p99 {} ms", endMicros.size(), endMicros.get(endMicros.size() / 2) / 1000.0,
        endMicros.get((int) Math.ceil(endMicros.size() * 0.99) - 1) / 1000.0);
    LOG.info(
        "revocation-to-visibility across replicas over {} ends (end answered on B -> introspection on A inactive):"
            + " p50 {} ms, p99 {} ms, max {} ms",
        micros.size(), micros.get(micros.size() / 2) / 1000.0, micros.get((int) Math.ceil(micros.size() * 0.99) - 1) / 1000.0,
        micros.get(micros.size() - 1) / 1000.0);
  }

  // ---- one evidence log ------------------------------------------------------------------------------------

  @Test
  void replicasAppendingAtOnceKeepOneLinearEvidenceLog() throws Exception {
    Issuer a = replica("a");
    Issuer b = replica("b");
    // Both replicas begin and end tasks at the same time (not through the load balancer: begin's proof is addressed
    // to issuer_url, so each thread holds its replica's route while it begins).
    List<String> tasks = new CopyOnWriteArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (Issuer replica : List.of(a, b)) {
      threads.add(new Thread(() -> {
        try {
          for (int i = 0; i < 15; i++) {
            BeginTaskResponse t;
            synchronized (lb) {
              t = begin(replica);
            }
            end(replica, t);
            tasks.add(t.taskId() + " " + ports.get(replica));
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    assertThat(failures).isEmpty();
    assertThat(tasks).hasSize(30);

    // One key signs the log, sealed in the store: no replica has it on disk.
    NoteKey key = NoteKey.parse(new IssuerClient(direct(a)).evidenceKey());
    assertThat(NoteKey.parse(new IssuerClient(direct(b)).evidenceKey())).isEqualTo(key);
    for (Issuer replica : List.of(a, b)) {
      assertThat(replica.config().dataDir().resolve("evidence-log-key.pem")).doesNotExist();
    }
    // Every task's bundle, from either replica, verifies against a signed checkpoint of the one log.
    for (String line : tasks) {
      String taskId = line.split(" ")[0];
      for (Issuer replica : List.of(a, b)) {
        byte[] bundle = new IssuerClient(direct(replica)).evidenceBundle(taskId);
        assertThat(EvidenceVerifier.verify(bundle, key).failures()).as(taskId).isEmpty();
      }
    }
    // The stored leaves have no gap and no duplicate, and a third replica, which refuses to start when the stored
    // leaves and the newest checkpoint disagree, starts.
    try (var c = java.sql.DriverManager.getConnection(schemaUrl);
        var rs = c.createStatement().executeQuery("SELECT count(*), count(DISTINCT leaf_index), max(leaf_index) FROM evidence_entries")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(rs.getLong(2)).isEqualTo(rs.getLong(3) + 1);
    }
    assertThat(replica("c").evidence().checkpoint()).isNotBlank();
  }

  @Test
  void aReplicaThatHasNotWrittenSinceServesTheWholeLog() throws Exception {
    Issuer a = replica("a");
    Issuer b = replica("b");
    NoteKey key = NoteKey.parse(new IssuerClient(direct(b)).evidenceKey());
    String before = new IssuerClient(direct(b)).evidenceCheckpoint();
    BeginTaskResponse task = begin(a);
    end(a, task);
    assertThat(b.evidence().size()).as("B has not taken in A's appends").isLessThan(a.evidence().size());

    // B serves the task's whole bundle (begun and ended on A) and A's newest checkpoint, consistent with its own older one.
    IssuerClient onB = new IssuerClient(direct(b));
    VerificationResult bundle = EvidenceVerifier.verify(onB.evidenceBundle(task.taskId()), key);
    assertThat(bundle.failures()).isEmpty();
    assertThat(bundle.statement().outcome()).isEqualTo("succeeded");
    String now = onB.evidenceCheckpoint();
    assertThat(now).isEqualTo(new IssuerClient(direct(a)).evidenceCheckpoint());
    long from = SignedNote.openCheckpoint(before, key).size();
    long to = SignedNote.openCheckpoint(now, key).size();
    assertThat(EvidenceVerifier.checkConsistency(before, now, onB.consistencyProof(from, to).hashes(), key)).isEmpty();
  }

  @Test
  void anIssuerThatKeptItsLogKeyOnDiskMovesItIntoTheStore() throws Exception {
    Issuer old = replica("old", false);
    BeginTaskResponse task = begin(old);
    end(old, task);
    NoteKey key = NoteKey.parse(new IssuerClient(direct(old)).evidenceKey());
    old.close();
    issuers.remove(old);

    // Restarted with sealed keys, it moves its log key into the store; a new replica then signs with it too.
    Issuer sealed = replica("old");
    assertThat(NoteKey.parse(new IssuerClient(direct(sealed)).evidenceKey())).isEqualTo(key);
    Issuer fresh = replica("new");
    assertThat(NoteKey.parse(new IssuerClient(direct(fresh)).evidenceKey())).isEqualTo(key);
    assertThat(EvidenceVerifier.verify(new IssuerClient(direct(fresh)).evidenceBundle(task.taskId()), key).failures()).isEmpty();
    end(fresh, begin(fresh));
    assertThat(SignedNote.openCheckpoint(new IssuerClient(direct(sealed)).evidenceCheckpoint(), key).size())
        .isEqualTo(fresh.evidence().size());
  }

  // ---- Shared Signals outbox -------------------------------------------------------------------------------

  @Test
  void anEndCommittedAnywhereIsSignalledExactlyOnce() throws Exception {
    Issuer a = replica("a");
    replica("b");
    BeginTaskResponse byClient = begin(a);
    BeginTaskResponse byStore = begin(a);
    end(a, byClient);
    // Ended with no issuer code involved (as a crash right after an end's commit leaves it, or an operator command):
    // the end's transaction queued its signals all the same.
    db.store.endTask(byStore.taskId(), TaskOutcome.REVOKED, "operator", clock.instant());

    // Per task: x509 and jwt credential-change, then session-revoked.
    await().atMost(60, TimeUnit.SECONDS).until(() -> eventsOf(byClient.taskId()) >= 3 && eventsOf(byStore.taskId()) >= 3);
    await().atMost(60, TimeUnit.SECONDS)
        .until(() -> db.store.signalOutbox(10).isEmpty() && db.store.dueSignalDeliveries(Instant.now().plus(Duration.ofDays(1)), 10).isEmpty());
    // Two replicas relayed and pushed; each event went out once.
    assertThat(eventsOf(byClient.taskId())).isEqualTo(3);
    assertThat(eventsOf(byStore.taskId())).isEqualTo(3);
  }

  private long eventsOf(String taskId) {
    return received.stream()
        .map(set -> {
          try {
            return SignedJWT.parse(set).getJWTClaimsSet().getStringClaim("txn");
          } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
          }
        })
        .filter(taskId::equals)
        .count();
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  /** This replica's own address (its listener), where {@code issuer.url()} is the load balancer's. */
  private String direct(Issuer issuer) {
    return "http://127.0.0.1:" + ports.get(issuer);
  }

  /**
   * Begins a task on {@code issuer}. No retry: the replicas' batches take the evidence log's advisory lock and catch
   * up with each other's leaves, so a begin on a replica that is behind must not fail.
   */
  private BeginTaskResponse begin(Issuer issuer) {
    // Through the load balancer (the proof of possession is addressed to issuer_url), routed to this replica.
    lb.route("127.0.0.1", ports.get(issuer));
    return new IssuerClient(issuer.url())
        .begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("vault"), "20m");
  }

  private void end(Issuer issuer, BeginTaskResponse task) {
    new IssuerClient(direct(issuer)).end(task.taskId(), task.controlToken(), "succeeded", null);
  }

  private JsonNode introspect(Issuer issuer, String token) throws Exception {
    HttpResponse<String> r = post(issuer, "/introspect", BASIC, "token=" + enc(token));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return ApiJson.mapper().readTree(r.body());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private HttpResponse<String> get(Issuer issuer, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(direct(issuer) + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(Issuer issuer, String path, String authorization, String form) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(direct(issuer) + path))
            .header("Authorization", authorization)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
