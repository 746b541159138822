package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.Backoff;
import dev.taskbound.client.CredentialDirectory;
import dev.taskbound.client.EndResult;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.SessionOptions;
import dev.taskbound.client.Svids;
import dev.taskbound.client.SvidListener;
import dev.taskbound.client.TaskSession;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.TaskRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client core's session against a real issuer on loopback whose SVIDs live three seconds. */
class TaskSessionTest {
  @TempDir static Path dataDir;
  static LoopbackIssuer issuer;
  static final ScheduledExecutorService SCHEDULER = Executors.newScheduledThreadPool(1);

  @BeforeAll
  static void start() throws Exception {
    issuer = LoopbackIssuer.start(dataDir, Duration.ofSeconds(3));
  }

  @AfterAll
  static void stop() {
    issuer.close();
    SCHEDULER.shutdownNow();
  }

  @Test
  void renewsAtHalfLifeRewritesPrivateFilesAndWipesThemAtEnd() throws Exception {
    List<Svids> rotations = new CopyOnWriteArrayList<>();
    TaskSession session = TaskSession.begin(new IssuerClient(issuer.url()), issuer.devAttestation(),
        SessionOptions.defaults().withAudiences(List.of("sts.example", "https://vault.example")), Clock.systemUTC(), SCHEDULER);
    session.addListener(rotations::add);
    CredentialDirectory dir = session.directory();
    String firstChain = Files.readString(dir.file("svid.pem"));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.path()))).isEqualTo("rwx------");
    for (String f : List.of("svid.pem", "svid_key.pem", "bundle.pem", "jwt_svid.token", "jwt_svid.sts.example.token",
        "jwt_svid.https_3A_2F_2Fvault.example.token")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.file(f)))).as(f).isEqualTo("rw-------");
    }
    assertThat(Files.readString(dir.file("svid_key.pem"))).isEqualTo(session.key().privateKeyPem());
    assertThat(Files.readString(dir.file("jwt_svid.token"))).isEqualTo(session.current().jwtSvidFor("sts.example").orElseThrow().token());

    // renew_after is half the 3 s SVID lifetime: two rotations arrive well within ten seconds.
    await().atMost(Duration.ofSeconds(10)).until(() -> rotations.size() >= 2);
    assertThat(Files.readString(dir.file("svid.pem"))).isNotEqualTo(firstChain).isEqualTo(session.current().x509SvidChainPem());
    assertThat(session.current().expiresAt()).isAfter(Instant.now());

    assertThat(session.secretsToMask())
        .contains(session.controlToken())
        .containsAll(rotations.get(0).jwtSvids().stream().map(j -> j.token()).toList())
        .containsAll(session.current().jwtSvids().stream().map(j -> j.token()).toList())
        .anySatisfy(s -> assertThat(session.key().privateKeyPem()).contains(s));

    EndResult ended = session.end(TaskOutcome.SUCCEEDED, null);
    int rotationsAtEnd = rotations.size();
    assertThat(ended.ended()).isTrue();
    assertThat(dir.path()).doesNotExist();
    TaskRecord task = issuer.task(session.taskId());
    assertThat(task.active()).isFalse();
    assertThat(task.outcome()).isEqualTo(TaskOutcome.SUCCEEDED);
    List<CredentialRecord> creds = issuer.issuer().store().credentialsOf(session.taskId());
    assertThat(creds).hasSizeGreaterThanOrEqualTo(9).allSatisfy(c -> assertThat(c.revokedAt()).isNotNull());
    assertThat(ended.revokedCount()).isEqualTo(creds.size());

    // No renewal after end, and a repeat answers the same.
    Thread.sleep(2000);
    assertThat(rotations).hasSize(rotationsAtEnd);
    assertThat(session.end(TaskOutcome.FAILED, "again")).isSameAs(ended);
  }

  @Test
  void issuerDownAtEndIsRetriedForTheWindowThenReportedAndTheTaskStaysActive(@TempDir Path otherData) throws Exception {
    LoopbackIssuer doomed = LoopbackIssuer.start(otherData, Duration.ofMinutes(5));
    IssuerConfig cfg = doomed.issuer().config();
    TaskSession session = TaskSession.begin(new IssuerClient(doomed.url()), doomed.devAttestation(),
        SessionOptions.defaults().withEndRetry(new Backoff(Duration.ofMillis(100), Duration.ofMillis(400)), Duration.ofSeconds(2)),
        Clock.systemUTC(), SCHEDULER);
    List<EndResult> told = new CopyOnWriteArrayList<>();
    session.addListener(new SvidListener() {
      @Override
      public void rotated(Svids svids) {}

      @Override
      public void ended(EndResult result) {
        told.add(result);
      }
    });
    doomed.close();

    EndResult r = session.end(TaskOutcome.SUCCEEDED, null);

    assertThat(r.ended()).isFalse();
    // Retried with back-off (100 ms doubling to 400 ms) within the 2 s window: several tries, never a hot loop. The
    // count, not the time taken, is what a loaded machine cannot disturb.
    assertThat(r.attempts()).isBetween(4, 20);
    assertThat(session.directory().path()).doesNotExist();
    assertThat(told).containsExactly(r);
    try (Issuer.Offline offline = Issuer.offline(cfg, Clock.systemUTC())) {
      assertThat(offline.store().findTask(session.taskId()).orElseThrow().active()).isTrue();
    }
  }
}
