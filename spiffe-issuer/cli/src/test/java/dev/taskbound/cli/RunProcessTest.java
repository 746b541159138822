package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.TaskRecord;
import io.spiffe.workloadapi.DefaultWorkloadApiClient;
import io.spiffe.workloadapi.WorkloadApiClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code taskbound} as a real process (signals need one) against a real issuer on loopback. */
class RunProcessTest {
  @TempDir static Path dataDir;
  @TempDir Path work;
  static LoopbackIssuer issuer;

  @BeforeAll
  static void start() throws Exception {
    issuer = LoopbackIssuer.start(dataDir, Duration.ofMinutes(5));
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  private ProcessBuilder taskbound(String... args) {
    ProcessBuilder pb = CliProcess.taskbound(work, args);
    pb.environment().put("TASKBOUND_DEV_TOKEN", issuer.devToken());
    return pb;
  }

  private String stderr() throws Exception {
    return CliProcess.stderr(work);
  }

  private String taskId() throws Exception {
    return CliProcess.taskId(work);
  }

  @Test
  void failingCommandEndsTheTaskAsFailedRevokesAndExitsWithItsStatus() throws Exception {
    Path seen = work.resolve("seen");
    Process p = taskbound("run", "--issuer", issuer.url(), "--audience", "sts.example", "--", "sh", "-c",
        "env | grep -E '^(TASKBOUND_|SPIFFE_)' | sort > " + seen + "; stat -c '%a %n' \"$TASKBOUND_SVID_DIR\" \"$TASKBOUND_SVID_DIR\"/* >> "
            + seen + "; exit 3").start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(stderr()).isEqualTo(3);
    String env = Files.readString(seen);
    assertThat(env).contains("TASKBOUND_TASK_ID=tsk_", "TASKBOUND_SPIFFE_ID=spiffe://taskbound.test/", "TASKBOUND_ISSUER_URL=" + issuer.url())
        .contains("TASKBOUND_JWT_STS_2EEXAMPLE_FILE=").doesNotContain("TASKBOUND_DEV_TOKEN").doesNotContain("SPIFFE_ENDPOINT_SOCKET");
    assertThat(env).containsPattern("700 .*/taskbound-[^/\\n]+\\n").containsPattern("600 .*/svid_key.pem")
        .doesNotContainPattern("\\n6[0-7][1-7] ");
    String dir = env.lines().filter(l -> l.startsWith("TASKBOUND_SVID_DIR=")).findFirst().orElseThrow().substring(19);
    assertThat(Path.of(dir)).doesNotExist();

    TaskRecord task = issuer.task(taskId());
    assertThat(task.outcome()).isEqualTo(TaskOutcome.FAILED);
    assertThat(task.endReason()).contains("status 3");
    List<CredentialRecord> creds = issuer.issuer().store().credentialsOf(task.taskId());
    assertThat(creds).hasSize(2).allSatisfy(c -> assertThat(c.revokedAt()).isNotNull());
    assertThat(stderr()).contains("ended: failed", "credentials revoked: 2", "residual exposure")
        .doesNotContain("eyJ");
  }

  @Test
  void succeedingCommandEndsSucceededWithWorkloadApiSocketExportedAndNoNettyWarnings() throws Exception {
    Path seen = work.resolve("seen");
    Path done = work.resolve("done");
    // The step publishes its socket and waits until this test has used it.
    Process p = taskbound("run", "--issuer", issuer.url(), "--workload-api", "--", "sh", "-c",
        "test -S \"${SPIFFE_ENDPOINT_SOCKET#unix://}\" || exit 9; echo \"$SPIFFE_ENDPOINT_SOCKET\" > " + seen + ".tmp; mv "
            + seen + ".tmp " + seen + "; while [ ! -e " + done + " ]; do sleep 0.1; done").start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(seen));
      String endpoint = Files.readString(seen).strip();
      assertThat(endpoint).startsWith("unix://").contains("/agent.sock");
      try (WorkloadApiClient client = DefaultWorkloadApiClient.newClient(
          DefaultWorkloadApiClient.ClientOptions.builder().spiffeSocketPath(endpoint).build())) {
        assertThat(client.fetchX509Context().getDefaultSvid().getSpiffeId().toString()).startsWith("spiffe://taskbound.test/");
        assertThat(client.fetchJwtBundles().getBundles()).isNotEmpty();
      }
    } finally {
      Files.writeString(done, "");
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(stderr()).isZero();
    assertThat(issuer.task(taskId()).outcome()).isEqualTo(TaskOutcome.SUCCEEDED);
    // Each connection used to print Netty's "Unknown channel option 'SO_KEEPALIVE'" into the step's log.
    assertThat(stderr()).doesNotContain("SO_KEEPALIVE").doesNotContain("Unknown channel option");
  }

  @Test
  void sigtermIsForwardedToTheCommandAndTheTaskIsAborted() throws Exception {
    Path ready = work.resolve("ready");
    Path got = work.resolve("got-term");
    Path dirFile = work.resolve("dir");
    Process p = taskbound("run", "--issuer", issuer.url(), "--", "sh", "-c",
        "trap 'echo TERM > " + got + "; exit 143' TERM; echo \"$TASKBOUND_SVID_DIR\" > " + dirFile + "; touch " + ready
            + "; while true; do sleep 0.1; done").start();
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(ready));

    new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(stderr()).isEqualTo(143);
    assertThat(Files.readString(got)).contains("TERM");
    assertThat(issuer.task(taskId()).outcome()).isEqualTo(TaskOutcome.ABORTED);
    assertThat(issuer.task(taskId()).endReason()).contains("SIGTERM");
    assertThat(Path.of(Files.readString(dirFile).strip())).doesNotExist();
    assertThat(stderr()).contains("ended: aborted");
  }

  @Test
  void issuerUnreachableAtEndIsRetriedThenReported(@TempDir Path otherData) throws Exception {
    LoopbackIssuer doomed = LoopbackIssuer.start(otherData, Duration.ofMinutes(5));
    Path ready = work.resolve("ready");
    Path go = work.resolve("go");
    ProcessBuilder pb = taskbound("run", "--issuer", doomed.url(), "--end-retry", "2s", "--", "sh", "-c",
        "touch " + ready + "; while [ ! -e " + go + " ]; do sleep 0.1; done; exit 0");
    pb.environment().put("TASKBOUND_DEV_TOKEN", doomed.devToken());
    Process p = pb.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(ready));
    String taskId = taskId();
    var cfg = doomed.issuer().config();
    doomed.close();
    Files.createFile(go);

    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(stderr()).isEqualTo(TaskboundCli.EXIT_END_FAILED);
    assertThat(stderr()).contains("could NOT end task " + taskId).contains("reaper");
    try (var offline = dev.taskbound.issuer.Issuer.offline(cfg, java.time.Clock.systemUTC())) {
      assertThat(offline.store().findTask(taskId).orElseThrow().active()).isTrue();
    }
  }

  @Test
  void beginAndEndForShells() throws Exception {
    Path dir = work.resolve("shell-task");
    Process begin = taskbound("begin", "--issuer", issuer.url(), "--audience", "a.example", "--dir", dir.toString()).start();
    assertThat(begin.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(begin.exitValue()).as(stderr()).isZero();
    String exports = Files.readString(work.resolve("stdout.txt"));
    assertThat(exports).contains("export TASKBOUND_SVID_DIR='" + dir + "'", "export TASKBOUND_JWT_A_2EEXAMPLE_FILE=")
        .doesNotContain("tbct_");
    assertThat(dir.resolve(ShellState.FILE)).exists();
    String taskId = taskId();

    ProcessBuilder endPb = taskbound("end", "--outcome", "failed", "--reason", "tests failed");
    endPb.environment().put("TASKBOUND_SVID_DIR", dir.toString());
    Process end = endPb.start();
    assertThat(end.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(end.exitValue()).as(stderr()).isZero();
    assertThat(dir).doesNotExist();
    assertThat(issuer.task(taskId).outcome()).isEqualTo(TaskOutcome.FAILED);
  }
}
