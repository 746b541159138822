package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.store.ApprovalRecord;
import dev.taskbound.issuer.store.ApprovalState;
import dev.taskbound.issuer.task.ApprovalRequests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code taskbound run} under a rule with {@code approval:}, as a real process against a real issuer on loopback:
 * it prints the URL and waits; approval lets the command run, denial exits with the begin-failed status and the
 * reason, Ctrl-C while waiting withdraws the request.
 */
class ApprovalWaitProcessTest {
  @TempDir static Path dir;
  @TempDir Path work;
  static LoopbackIssuer issuer;
  static final ApprovalRequests.Approver RITA = new ApprovalRequests.Approver(ApprovalRequests.CLI_ISSUER, "rita");

  @BeforeAll
  static void start() throws Exception {
    issuer = LoopbackIssuer.withPolicy(
        dir,
        String.join("\n",
            "rules:",
            "  - name: dev-gated",
            "    when: ci.platform == 'dev'",
            "    spiffe_id: \"spiffe://{trust_domain}/dev/{ci.token_id}\"",
            "    max_ttl: 10m",
            "    approval: release-managers",
            ""),
        Map.of());
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  private Process run(String... command) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("run", "--issuer", issuer.url(), "--"));
    args.addAll(List.of(command));
    ProcessBuilder pb = CliProcess.taskbound(work, args.toArray(String[]::new));
    pb.environment().put("TASKBOUND_DEV_TOKEN", issuer.devToken());
    return pb.start();
  }

  /** The request the process printed, once it is waiting. */
  private ApprovalRecord waiting() {
    await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(work.resolve("stderr.txt"))
        && CliProcess.stderr(work).contains("waiting for approval by release-managers"));
    String err = stderrUnchecked();
    String id = err.substring(err.indexOf("/v1/admin/approvals/") + "/v1/admin/approvals/".length()).split("\\s")[0];
    return issuer.issuer().store().findApproval(id).orElseThrow();
  }

  private String stderrUnchecked() {
    try {
      return CliProcess.stderr(work);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void runPrintsTheUrlWaitsAndRunsTheCommandOnceApproved() throws Exception {
    Path seen = work.resolve("seen");
    Process p = run("sh", "-c", "echo \"$TASKBOUND_TASK_ID\" > " + seen);
    ApprovalRecord request = waiting();
    assertThat(request.state()).isEqualTo(ApprovalState.PENDING);
    assertThat(p.isAlive()).isTrue();

    issuer.issuer().tasks().approvals().approve(request.approvalId(), RITA);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(stderrUnchecked()).isZero();
    assertThat(Files.readString(seen).strip()).isEqualTo(request.taskId());
    assertThat(issuer.task(request.taskId()).outcome()).isEqualTo(TaskOutcome.SUCCEEDED);

    // Offline, the task's evidence names who approved.
    dev.taskbound.client.IssuerClient client = new dev.taskbound.client.IssuerClient(issuer.url());
    Path bundle = Files.write(work.resolve("bundle.json"), client.evidenceBundle(request.taskId()));
    Path key = Files.writeString(work.resolve("log.key"), client.evidenceKey() + "\n");
    EvidenceCommandTest.Run verified =
        EvidenceCommandTest.taskbound("evidence", "verify", bundle.toString(), "--issuer-key", key.toString());
    assertThat(verified.exit()).as(verified.out() + verified.err()).isZero();
    assertThat(verified.out())
        .contains("evidence verifies: task " + request.taskId())
        .contains("approval:          requested by (no actor), for approval by release-managers (1 needed)")
        .contains("approval:          approved by rita (vouched for by cli)");
  }

  @Test
  void aDenialExitsWithTheBeginFailedStatusAndTheReason() throws Exception {
    Process p = run("sh", "-c", "exit 0");
    ApprovalRecord request = waiting();
    issuer.issuer().tasks().approvals().deny(request.approvalId(), RITA, "change freeze");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(stderrUnchecked()).isEqualTo(TaskboundCli.EXIT_BEGIN_FAILED);
    assertThat(stderrUnchecked()).contains("approval denied by rita: change freeze");
    assertThat(issuer.issuer().store().findTask(request.taskId())).isEmpty();

    // Offline, the request's bundle verifies and says that no task was issued, and why.
    dev.taskbound.client.IssuerClient client = new dev.taskbound.client.IssuerClient(issuer.url());
    Path bundle = Files.write(work.resolve("bundle.json"), client.evidenceBundle(request.taskId()));
    Path key = Files.writeString(work.resolve("log.key"), client.evidenceKey() + "\n");
    EvidenceCommandTest.Run verified =
        EvidenceCommandTest.taskbound("evidence", "verify", bundle.toString(), "--issuer-key", key.toString());
    assertThat(verified.exit()).as(verified.out() + verified.err()).isZero();
    assertThat(verified.out())
        .contains("evidence verifies: approval request for task " + request.taskId() + ", which was never issued")
        .contains("approval:          requested by (no actor), for approval by release-managers (1 needed)")
        .contains("approval:          denied by rita (vouched for by cli): change freeze")
        .contains("credentials:       none (no task began)")
        .doesNotContain("NOT verify");
  }

  @Test
  void ctrlCWhileWaitingWithdrawsTheRequest() throws Exception {
    Process p = run("sh", "-c", "exit 0");
    ApprovalRecord request = waiting();
    new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isNotZero();
    assertThat(issuer.issuer().store().findApproval(request.approvalId()).orElseThrow().state()).isEqualTo(ApprovalState.WITHDRAWN);
  }
}
