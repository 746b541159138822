package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.CredentialDirectory;
import dev.taskbound.client.EndResult;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.SessionOptions;
import dev.taskbound.client.TaskSession;
import dev.taskbound.client.evidence.ConsistencyProof;
import dev.taskbound.client.evidence.NoteKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code taskbound evidence verify|consistency} against a real issuer on loopback: a task begun and ended through
 * the client core, its bundle downloaded and checked with only the log key.
 */
class EvidenceCommandTest {
  @TempDir static Path dataDir;
  @TempDir Path work;
  static LoopbackIssuer issuer;
  static IssuerClient client;
  static String verifierKey;

  @BeforeAll
  static void start() throws Exception {
    issuer = LoopbackIssuer.start(dataDir, Duration.ofMinutes(5));
    client = new IssuerClient(issuer.url());
    verifierKey = client.evidenceKey();
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  record Run(int exit, String out, String err) {}

  static Run taskbound(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = TaskboundCli.newCommandLine(Map.of());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private EndResult endedTask(SessionOptions options) {
    TaskSession session = TaskSession.begin(client, issuer.devAttestation(),
        options.withAudiences(List.of("sts.example")).withCredentialDir(CredentialDirectory.NONE));
    session.renewNow();
    return session.end(TaskOutcome.SUCCEEDED, null);
  }

  private Path keyFile() throws Exception {
    return Files.writeString(work.resolve("log.key"), verifierKey + "\n");
  }

  private Path bundleOf(EndResult ended) throws Exception {
    return Files.write(work.resolve("bundle.json"), client.evidenceBundle(ended.taskId()));
  }

  @Test
  void theSessionVerifiesTheEndsReceiptWhenGivenTheLogKey() throws Exception {
    EndResult ended = endedTask(SessionOptions.defaults().withEvidenceKey(verifierKey));

    assertThat(ended.evidenceUrl()).isEqualTo(issuer.url() + "/evidence/tasks/" + ended.taskId());
    assertThat(ended.receipt()).isNotNull();
    assertThat(ended.receiptFailure()).isNull();
    assertThat(ended.receiptVerified()).isTrue();
    assertThat(ended.verifiedReceipt().taskId()).isEqualTo(ended.taskId());
    assertThat(ended.verifiedReceipt().revokedCredentialIds()).hasSize(ended.revokedCount());

    EndResult unchecked = endedTask(SessionOptions.defaults());
    assertThat(unchecked.receipt()).isNotNull();
    assertThat(unchecked.receiptVerified()).isFalse();
    assertThat(unchecked.receiptFailure()).isNull();
  }

  @Test
  void aReceiptDoesNotVerifyUnderAnotherKey() throws Exception {
    EndResult ended = endedTask(SessionOptions.defaults().withEvidenceKey(otherKey()));
    assertThat(ended.ended()).isTrue();
    assertThat(ended.receiptVerified()).isFalse();
    assertThat(ended.receiptFailure()).isNotBlank();
  }

  @Test
  void aDownloadedBundleVerifiesWithThePinnedKeyAndTheSummaryNamesWhatHappened() throws Exception {
    EndResult ended = endedTask(SessionOptions.defaults());
    Run r = taskbound("evidence", "verify", bundleOf(ended).toString(), "--issuer-key", keyFile().toString());

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("evidence verifies: task " + ended.taskId(), "identity:          spiffe://taskbound.test/",
        "outcome:           succeeded", "checkpoint size", "credentials:       4 issued", "x509-svid", "jwt-svid",
        "audience sts.example", "revoked ", "residual exposure: up to");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void withOnlyTheIssuerUrlTheKeyIsFetchedAndTheUserIsToldToPinIt() throws Exception {
    EndResult ended = endedTask(SessionOptions.defaults());
    Run r = taskbound("evidence", "verify", bundleOf(ended).toString(), "--issuer", issuer.url());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.err()).contains("fetched from " + issuer.url(), "pin it with --issuer-key");
  }

  @Test
  void aChangedByteFailsWithExitOneAndNamesTheFailedChecks() throws Exception {
    byte[] bundle = Files.readAllBytes(bundleOf(endedTask(SessionOptions.defaults())));
    Path key = keyFile();
    // One byte inside the signed statement (its base64 payload), one inside the checkpoint note.
    String text = new String(bundle, java.nio.charset.StandardCharsets.UTF_8);
    for (int at : new int[] {text.indexOf("\"payload\":\"") + 40, text.indexOf("\"checkpoint\":\"") + 20}) {
      byte[] tampered = bundle.clone();
      tampered[at] = (byte) (tampered[at] == 'A' ? 'B' : 'A');
      Path f = Files.write(work.resolve("tampered.json"), tampered);
      Run r = taskbound("evidence", "verify", f.toString(), "--issuer-key", key.toString());
      assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
      assertThat(r.out()).contains("does NOT verify").containsPattern("  [A-Z_]+: ");
    }
  }

  @Test
  void aWrongKeyFailsWithExitOne() throws Exception {
    Path bundle = bundleOf(endedTask(SessionOptions.defaults()));
    Path wrong = Files.writeString(work.resolve("wrong.key"), otherKey());
    Run r = taskbound("evidence", "verify", bundle.toString(), "--issuer-key", wrong.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("CHECKPOINT_SIGNATURE", "ENVELOPE_SIGNATURE");
  }

  @Test
  void usageErrorsAndUncheckableInputExitTwo() throws Exception {
    Path bundle = bundleOf(endedTask(SessionOptions.defaults()));
    assertThat(taskbound("evidence", "verify", bundle.toString()).exit()).isEqualTo(2);
    assertThat(taskbound("evidence", "verify", work.resolve("absent.json").toString(), "--issuer-key", keyFile().toString()).exit())
        .isEqualTo(2);
    assertThat(taskbound("evidence", "verify", bundle.toString(), "--issuer-key", bundle.toString()).err())
        .contains("not a log verifier key");
    assertThat(taskbound("evidence", "verify").exit()).isEqualTo(2);
    assertThat(taskbound("evidence", "verify", bundle.toString(), "--bogus").exit()).isEqualTo(2);
    assertThat(taskbound("evidence").exit()).isEqualTo(2);
    Path checkpoint = Files.writeString(work.resolve("c"), client.evidenceCheckpoint());
    Run noProof = taskbound("evidence", "consistency", checkpoint.toString(), checkpoint.toString(), "--issuer-key", keyFile().toString());
    assertThat(noProof.exit()).isEqualTo(2);
    assertThat(noProof.err()).contains("--proof FILE or --issuer URL");
  }

  @Test
  void twoCheckpointsOfTheLogAreConsistentAndAForgedProofIsNot() throws Exception {
    Path older = Files.writeString(work.resolve("old.checkpoint"), client.evidenceCheckpoint());
    endedTask(SessionOptions.defaults());
    Path newer = Files.writeString(work.resolve("new.checkpoint"), client.evidenceCheckpoint());

    Run fetched = taskbound("evidence", "consistency", older.toString(), newer.toString(), "--issuer", issuer.url());
    assertThat(fetched.exit()).as(fetched.out() + fetched.err()).isZero();
    assertThat(fetched.out()).contains("checkpoints are consistent");
    Run pinned = taskbound("evidence", "consistency", older.toString(), newer.toString(),
        "--issuer-key", keyFile().toString(), "--issuer", issuer.url());
    assertThat(pinned.exit()).as(pinned.out() + pinned.err()).isZero();
    assertThat(pinned.err()).doesNotContain("fetched");

    long from = Long.parseLong(Files.readString(older).split("\n")[1]);
    long to = Long.parseLong(Files.readString(newer).split("\n")[1]);
    ConsistencyProof proof = client.consistencyProof(from, to);
    assertThat(proof.hashes()).isNotEmpty();
    Path good = Files.writeString(work.resolve("proof.json"), proofJson(proof.from(), proof.to(), proof.hashes()));
    assertThat(taskbound("evidence", "consistency", older.toString(), newer.toString(), "--issuer-key", keyFile().toString(),
        "--proof", good.toString()).exit()).isZero();

    List<byte[]> forgedHashes = new ArrayList<>(proof.hashes());
    forgedHashes.get(0)[0] ^= 1;
    Path forged = Files.writeString(work.resolve("forged.json"), proofJson(proof.from(), proof.to(), forgedHashes));
    Run r = taskbound("evidence", "consistency", older.toString(), newer.toString(), "--issuer-key", keyFile().toString(),
        "--proof", forged.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("NOT consistent", "CONSISTENCY_PROOF");

    Run swapped = taskbound("evidence", "consistency", newer.toString(), older.toString(), "--issuer", issuer.url());
    assertThat(swapped.exit()).isEqualTo(1);
    assertThat(swapped.out()).contains("smaller than the old one");
  }

  @Test
  void asARealProcessItReadsTheBundleFromStdinAndRunShowsTheVerifiedReceipt() throws Exception {
    Path bundle = bundleOf(endedTask(SessionOptions.defaults()));
    ProcessBuilder verify = java("evidence", "verify", "-", "--issuer-key", keyFile().toString())
        .redirectInput(bundle.toFile()).redirectOutput(work.resolve("out.txt").toFile()).redirectError(work.resolve("err.txt").toFile());
    Process p = verify.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(work.resolve("err.txt"))).isZero();
    assertThat(Files.readString(work.resolve("out.txt"))).contains("evidence verifies");

    ProcessBuilder run = java("run", "--issuer", issuer.url(), "--evidence-key", keyFile().toString(), "--", "true")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(work.resolve("run-err.txt").toFile());
    run.environment().put("TASKBOUND_DEV_TOKEN", issuer.devToken());
    run.environment().put("TMPDIR", work.toString());
    Process r = run.start();
    assertThat(r.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String stderr = Files.readString(work.resolve("run-err.txt"));
    assertThat(r.exitValue()).as(stderr).isZero();
    assertThat(stderr).contains("evidence:            " + issuer.url() + "/evidence/tasks/tsk_",
        "receipt:             verified with the log key: task.ended is leaf").doesNotContain("eyJ");
  }

  private static ProcessBuilder java(String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
        TaskboundCli.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd);
  }

  private static String proofJson(long from, long to, List<byte[]> hashes) {
    ObjectNode o = ApiJson.mapper().createObjectNode().put("from", from).put("to", to);
    ArrayNode a = o.putArray("proof");
    hashes.forEach(h -> a.add(Base64.getEncoder().encodeToString(h)));
    return o.toString();
  }

  private static String otherKey() throws Exception {
    NoteKey real = NoteKey.parse(verifierKey);
    return NoteKey.ed25519(real.name(), KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic()).verifierKey();
  }
}
