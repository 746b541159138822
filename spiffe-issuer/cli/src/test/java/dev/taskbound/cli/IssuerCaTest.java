package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.jenkins.ControllerKey;
import dev.taskbound.client.jenkins.RunStatement;
import dev.taskbound.client.jenkins.RunStatementSigner;
import dev.taskbound.issuer.store.ControllerRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A self-hosted issuer on HTTPS whose certificate comes from an internal CA the JVM does not trust: every command
 * reaches it with {@code --issuer-ca FILE} or {@code $TASKBOUND_ISSUER_CA}, and none without. Attested as a Jenkins
 * step (a run statement read from a file), since production mode has no dev attestor.
 */
class IssuerCaTest {
  static final String POLICY = String.join("\n",
      "rules:",
      "  - name: jenkins",
      "    when: ci.platform == 'jenkins' && ci.controller == 'ci-prod'",
      "    spiffe_id: \"spiffe://{trust_domain}/ci/jenkins/{ci.controller}/job/{ci.job:path}/build/{ci.build_number}/step/{ci.flow_node_id}\"",
      "    max_ttl: 30m",
      "    audiences: [sts.amazonaws.com, \"{url}\"]",
      "    max_exchanges: 5",
      "");

  @TempDir static Path dir;
  @TempDir Path work;
  static LoopbackIssuer issuer;
  static PrivateCa ca;
  static RunStatementSigner signer;

  @BeforeAll
  static void start() throws Exception {
    ca = PrivateCa.create(dir);
    issuer = LoopbackIssuer.overTls(dir, ca.certFile(), ca.keyFile(), POLICY, "attestors:", "  jenkins: {}");
    ControllerKey key = ControllerKey.generate();
    issuer.issuer().store().putController(new ControllerRecord("ci-prod", key.publicJwksJson(), null, Instant.now()));
    signer = new RunStatementSigner("ci-prod", issuer.url(), key);
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  /** A fresh single-use run statement in a file, as a CI system would hand it over. */
  private Path statement() throws Exception {
    Path file = Files.createTempFile(work, "statement-", ".jwt");
    Files.writeString(file, signer.sign(new RunStatement("platform/deploy", 7, "https://jenkins.example/job/x/7/", "23", "linux-1",
        List.of(new RunStatement.Cause("UserIdCause", "alice")), "alice", new RunStatement.Scm("abc123", null, "main"))));
    return file;
  }

  private ProcessBuilder run(String... extra) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("run", "--issuer", issuer.url(), "--attestation-type", "jenkins",
        "--attestation-token-file", statement().toString()));
    args.addAll(List.of(extra));
    args.addAll(List.of("--", "true"));
    return CliProcess.taskbound(work, args.toArray(String[]::new));
  }

  @Test
  void withoutTheCaTheIssuerIsNotTrusted() throws Exception {
    Process p = run().start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(CliProcess.stderr(work)).isEqualTo(TaskboundCli.EXIT_BEGIN_FAILED);
    assertThat(CliProcess.stderr(work)).contains("PKIX").contains("pass --issuer-ca FILE or set TASKBOUND_ISSUER_CA");
  }

  @Test
  void runTrustsTheIssuerCaFile() throws Exception {
    Process p = run("--issuer-ca", ca.caPem().toString(), "--exchange", "sts.amazonaws.com").start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(CliProcess.stderr(work)).isZero();
    assertThat(issuer.task(CliProcess.taskId(work)).outcome()).isEqualTo(TaskOutcome.SUCCEEDED);
  }

  @Test
  void shellCommandsTrustTheCaNamedByTheVariableAndRememberIt() throws Exception {
    Path taskDir = work.resolve("shell-task");
    ProcessBuilder begin = CliProcess.taskbound(work, "begin", "--issuer", issuer.url(), "--attestation-type", "jenkins",
        "--attestation-token-file", statement().toString(), "--exchange", "sts.amazonaws.com", "--dir", taskDir.toString());
    begin.environment().put(IssuerCaOption.ENV, ca.caPem().toString());
    assertThat(exit(begin)).as(CliProcess.stderr(work)).isZero();
    String taskId = CliProcess.taskId(work);

    // Later commands find the CA in the task's state file: no option, no variable.
    for (String[] cmd : List.of(new String[] {"renew"}, new String[] {"exchange", "sts.amazonaws.com"}, new String[] {"end"})) {
      ProcessBuilder pb = CliProcess.taskbound(work, cmd);
      pb.environment().put("TASKBOUND_SVID_DIR", taskDir.toString());
      pb.environment().remove(IssuerCaOption.ENV);
      assertThat(exit(pb)).as("%s: %s", cmd[0], CliProcess.stderr(work)).isZero();
    }
    assertThat(issuer.task(taskId).outcome()).isEqualTo(TaskOutcome.SUCCEEDED);
    assertThat(taskDir).doesNotExist();
  }

  @Test
  void aCaFileWithoutCertificatesIsRefusedBeforeAnythingIsAsked() throws Exception {
    Path notPem = work.resolve("not-a-ca.pem");
    Files.writeString(notPem, "hello\n");
    Process p = run("--issuer-ca", notPem.toString()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(CliProcess.stderr(work)).contains("not-a-ca.pem");
  }

  private static int exit(ProcessBuilder pb) throws Exception {
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }
}
