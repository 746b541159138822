package dev.taskbound.issuer.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.Backoff;
import dev.taskbound.client.ConsoleMasker;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.KeyOffer;
import dev.taskbound.client.LocalStepAgent;
import dev.taskbound.client.StepAgent;
import dev.taskbound.client.StepCredentials;
import dev.taskbound.client.StepEnding;
import dev.taskbound.client.StepIdentity;
import dev.taskbound.client.SvidFiles;
import dev.taskbound.client.WrittenFiles;
import dev.taskbound.client.jenkins.ControllerKey;
import dev.taskbound.client.jenkins.RunStatement;
import dev.taskbound.client.jenkins.RunStatementSigner;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * [6/7] The Jenkins step's identity, split as the plugin splits it: the controller signs the run statement and talks
 * to the issuer, the "agent" ({@link LocalStepAgent}, what the plugin's remote callables run) makes the key and holds
 * the files. Against a real issuer with the jenkins attestor and a policy file.
 */
class JenkinsStepIdentityEndToEndTest {
  @TempDir static Path dir;
  @TempDir Path agentTemp;
  static Issuer issuer;
  static ControllerKey controllerKey;
  static RunStatementSigner signer;
  static StepIdentity steps;

  static String policy(String issuerUrl) {
    return String.join(
        "\n",
        "rules:",
        "  - name: jenkins-deploy",
        "    when: ci.platform == 'jenkins' && ci.controller == 'ci-prod' && ci.job.startsWith('platform/') && ci.scm_branch == 'main'",
        "    spiffe_id: \"spiffe://{trust_domain}/ci/jenkins/{ci.controller}/job/{ci.job:path}/build/{ci.build_number}/step/{ci.flow_node_id}\"",
        "    max_ttl: 30m",
        "    audiences: [sts.amazonaws.com, vault.example, \"" + issuerUrl + "\"]",
        "    max_exchanges: 3",
        "");
  }

  @BeforeAll
  static void start() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, policy("http://127.0.0.1:" + port));
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "dev: true",
            "listen: 127.0.0.1:" + port,
            "data_dir: " + dir.resolve("data"),
            "policy: {file: " + policy + "}",
            "attestors:",
            "  jenkins: {}",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), Clock.systemUTC());
    // Registered as an operator would: the plugin's public JWKS, nothing else.
    controllerKey = ControllerKey.generate();
    issuer.store().putController(new ControllerRecord("ci-prod", controllerKey.publicJwksJson(), null, Instant.now()));
    signer = new RunStatementSigner("ci-prod", issuer.url(), controllerKey);
    steps = new StepIdentity(new IssuerClient(issuer.url()), new Backoff(Duration.ofMillis(20), Duration.ofMillis(50)), Duration.ofSeconds(1), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  static RunStatement run(String job, String branch) {
    return new RunStatement(
        job, 7, "https://jenkins.example/job/x/7/", "23", "linux-1",
        List.of(new RunStatement.Cause("UserIdCause", "alice")), "alice", new RunStatement.Scm("abc123", null, branch));
  }

  @Test
  void aStepGetsItsIdentityWithTheKeyMadeOnTheAgentAndFilesOnlyThere() throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    StepCredentials creds =
        steps.begin(signer.attest(run("platform/payments/deploy", "main")), agent, agentTemp.toString(), List.of("sts.amazonaws.com"), "10m");

    assertThat(creds.spiffeId()).isEqualTo("spiffe://taskbound.test/ci/jenkins/ci-prod/job/platform/payments/deploy/build/7/step/23");
    WrittenFiles files = creds.written();
    assertThat(Path.of(files.directory()).getParent()).isEqualTo(agentTemp);
    // The X.509-SVID certifies the key that never left the agent's directory.
    X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(Path.of(files.svid()))));
    String keyPem = Files.readString(Path.of(files.svidKey()));
    assertThat(keyPem).startsWith("-----BEGIN PRIVATE KEY-----");
    TaskRecord task = issuer.store().findTask(creds.taskId()).orElseThrow();
    assertThat(ECKey.parse(task.publicKeyJwk()).toECPublicKey()).isEqualTo(leaf.getPublicKey());
    assertThat(task.context()).containsEntry("node", "linux-1").containsEntry("triggering_user", "alice").containsEntry("scm_revision", "abc123");
    String jwt = Files.readString(Path.of(files.tokenFiles().get("sts.amazonaws.com")));
    assertThat(SignedJWT.parse(jwt).getJWTClaimsSet().getSubject()).isEqualTo(creds.spiffeId());
    assertThat(Files.readString(Path.of(files.jwtSvid()))).isEqualTo(jwt);
    assertThat(files.environment(issuer.url(), creds.taskId(), creds.spiffeId()))
        .containsEntry("TASKBOUND_JWT_STS_2EAMAZONAWS_2ECOM_FILE", files.tokenFiles().get("sts.amazonaws.com"))
        .doesNotContainValue(jwt);
    // What the console masks: the JWT-SVID and the control token; the key never reaches the controller side at all.
    assertThat(creds.secretsToMask()).contains(jwt, creds.controlToken());
    assertThat(new ConsoleMasker(creds.secretsToMask()).mask("aws says " + jwt)).isEqualTo("aws says ****");

    steps.finish(creds.taskId(), creds.controlToken(), TaskOutcome.SUCCEEDED, null, agent, files.directory());
  }

  @Test
  void renewalRewritesTheFilesWithFreshSvidsForTheSameKey() throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    StepCredentials first = steps.begin(signer.attest(run("platform/api", "main")), agent, agentTemp.toString(), List.of("vault.example"), null);
    String key = Files.readString(Path.of(first.written().svidKey()));
    String jwt = Files.readString(Path.of(first.written().jwtSvid()));

    StepCredentials renewed = steps.renew(first.taskId(), first.controlToken(), agent, first.written().directory());

    assertThat(renewed.taskId()).isEqualTo(first.taskId());
    assertThat(Files.readString(Path.of(renewed.written().jwtSvid()))).isNotEqualTo(jwt);
    assertThat(Files.readString(Path.of(renewed.written().svidKey()))).isEqualTo(key);
    assertThat(renewed.secretsToMask()).contains(Files.readString(Path.of(renewed.written().jwtSvid())));
    steps.finish(first.taskId(), first.controlToken(), TaskOutcome.SUCCEEDED, null, agent, first.written().directory());
  }

  @ParameterizedTest
  @EnumSource(value = TaskOutcome.class, names = {"SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"})
  void everyOutcomeRevokesEveryCredentialAndWipesTheAgentFiles(TaskOutcome outcome) throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    StepCredentials creds = steps.begin(signer.attest(run("platform/ops", "main")), agent, agentTemp.toString(), List.of("sts.amazonaws.com"), null);

    StepEnding ending = steps.finish(creds.taskId(), creds.controlToken(), outcome, "body " + outcome.wire(), agent, creds.written().directory());

    assertThat(ending.clean()).isTrue();
    assertThat(ending.end().response().outcome()).isEqualTo(outcome.wire());
    assertThat(ending.end().revokedCount()).isGreaterThanOrEqualTo(2);
    assertThat(Path.of(creds.written().directory())).doesNotExist();
    TaskRecord task = issuer.store().findTask(creds.taskId()).orElseThrow();
    assertThat(task.state()).isNotEqualTo(TaskState.ACTIVE);
    assertThat(task.outcome()).isEqualTo(outcome);
    assertThat(issuer.store().credentialsOf(creds.taskId())).extracting(CredentialRecord::revokedAt).doesNotContainNull();
    // Repeating the end (a resumed controller not sure it ended) answers the same.
    assertThat(steps.finish(creds.taskId(), creds.controlToken(), outcome, null, agent, creds.written().directory()).clean()).isTrue();
  }

  @Test
  void aControllerThatRestartedEndsTheTaskFromWhatItPersisted() throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    StepCredentials creds = steps.begin(signer.attest(run("platform/restart", "main")), agent, agentTemp.toString(), List.of(), null);
    String taskId = creds.taskId();
    String controlToken = creds.controlToken();
    String directory = creds.written().directory();

    // A new StepIdentity, as after a restart: only the persisted ids, token and directory.
    StepIdentity resumed = new StepIdentity(new IssuerClient(issuer.url()));
    assertThat(resumed.renew(taskId, controlToken, agent, directory).taskId()).isEqualTo(taskId);
    assertThat(resumed.finish(taskId, controlToken, TaskOutcome.ABORTED, "resumed", agent, directory).clean()).isTrue();
    assertThat(issuer.store().findTask(taskId).orElseThrow().outcome()).isEqualTo(TaskOutcome.ABORTED);
  }

  @Test
  void aDeniedStepLeavesNoKeyBehindOnTheAgent() throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    assertThatThrownBy(() -> steps.begin(signer.attest(run("platform/api", "feature")), agent, agentTemp.toString(), List.of(), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.status()).isEqualTo(403));
    try (var left = Files.list(agentTemp)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void aStatementIsSingleUseAndAnUnregisteredKeyIsRefused() throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    Attestation once = signer.attest(run("platform/api", "main"));
    StepCredentials creds = steps.begin(once, agent, agentTemp.toString(), List.of(), null);
    assertThatThrownBy(() -> steps.begin(once, agent, agentTemp.toString(), List.of(), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.status()).isEqualTo(401));

    RunStatementSigner rogue = new RunStatementSigner("ci-prod", issuer.url(), ControllerKey.generate());
    assertThatThrownBy(() -> steps.begin(rogue.attest(run("platform/api", "main")), agent, agentTemp.toString(), List.of(), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.status()).isEqualTo(401));
    steps.finish(creds.taskId(), creds.controlToken(), TaskOutcome.SUCCEEDED, null, agent, creds.written().directory());
    try (var left = Files.list(agentTemp)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void whenTheFilesCannotBeDeliveredTheTaskIsEndedFailedAndTheKeyWiped() throws Exception {
    AtomicInteger wipes = new AtomicInteger();
    LocalStepAgent real = new LocalStepAgent();
    String[] directory = new String[1];
    StepAgent brokenDisk = new StepAgent() {
      @Override
      public KeyOffer createKey(String parent, String issuerUrl, String digest) throws IOException, InterruptedException {
        KeyOffer offer = real.createKey(parent, issuerUrl, digest);
        directory[0] = offer.directory();
        return offer;
      }

      @Override
      public WrittenFiles write(String d, SvidFiles files) throws IOException {
        throw new IOException("No space left on device");
      }

      @Override
      public void wipe(String d) throws IOException, InterruptedException {
        wipes.incrementAndGet();
        real.wipe(d);
      }
    };

    assertThatThrownBy(() -> steps.begin(signer.attest(run("platform/disk", "main")), brokenDisk, agentTemp.toString(), List.of(), null))
        .isInstanceOf(IOException.class);
    assertThat(wipes).hasValue(1);
    assertThat(Path.of(directory[0])).doesNotExist();
    assertThat(issuer.store().listTasks(null, 1000))
        .filteredOn(t -> "platform/disk".equals(t.context().get("job")))
        .singleElement()
        .satisfies(t -> assertThat(t.outcome()).isEqualTo(TaskOutcome.FAILED));
  }

  @Test
  void anUnreachableIssuerAtEndIsReportedAndTheFilesAreWipedAnyway() throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    StepCredentials creds = steps.begin(signer.attest(run("platform/gone", "main")), agent, agentTemp.toString(), List.of(), null);
    StepIdentity cutOff = new StepIdentity(
        new IssuerClient("http://127.0.0.1:9"), new Backoff(Duration.ofMillis(10), Duration.ofMillis(20)), Duration.ofMillis(100), Clock.systemUTC());

    StepEnding ending = cutOff.finish(creds.taskId(), creds.controlToken(), TaskOutcome.SUCCEEDED, null, agent, creds.written().directory());

    assertThat(ending.end().ended()).isFalse();
    assertThat(ending.end().failure().getMessage()).doesNotContain(creds.controlToken());
    assertThat(ending.wipeFailure()).isNull();
    assertThat(Path.of(creds.written().directory())).doesNotExist();
    steps.finish(creds.taskId(), creds.controlToken(), TaskOutcome.SUCCEEDED, null, null, null);
  }

  @Test
  void aStepExchangesForDownstreamTokensAcrossPlainWireValuesAndTheEndRevokesThem() throws Exception {
    // The agent as the Jenkins plugin reaches it: every value through its plain-string wire form.
    StepAgent agent = new WireOnlyAgent(new LocalStepAgent());
    StepCredentials creds = steps.begin(signer.attest(run("platform/deploy", "main")), agent, agentTemp.toString(),
        List.of("vault.example"), null, List.of("sts.amazonaws.com"));

    WrittenFiles files = creds.written();
    String downstream = Files.readString(Path.of(files.downstreamFiles().get("sts.amazonaws.com")));
    SignedJWT token = SignedJWT.parse(downstream);
    assertThat(token.getJWTClaimsSet().getAudience()).containsExactly("sts.amazonaws.com");
    assertThat(token.getJWTClaimsSet().getSubject()).isEqualTo(creds.spiffeId());
    // The issuer's own audience was added for the exchange; the step's first audience stays jwt_svid.token.
    assertThat(files.tokenFiles().keySet()).containsExactly("vault.example", issuer.url());
    assertThat(SignedJWT.parse(Files.readString(Path.of(files.jwtSvid()))).getJWTClaimsSet().getAudience()).containsExactly("vault.example");
    assertThat(files.environment(issuer.url(), creds.taskId(), creds.spiffeId()))
        .containsEntry("AWS_WEB_IDENTITY_TOKEN_FILE", files.downstreamFiles().get("sts.amazonaws.com"))
        .containsEntry("TASKBOUND_DOWNSTREAM_STS_2EAMAZONAWS_2ECOM_FILE", files.downstreamFiles().get("sts.amazonaws.com"))
        .doesNotContainValue(downstream);
    assertThat(creds.secretsToMask()).contains(downstream);
    assertThat(creds.downstream()).singleElement().satisfies(t -> assertThat(t.refreshAt()).isBefore(t.expiresAt()).isAfter(t.issuedAt()));

    StepCredentials renewed = steps.renew(creds.taskId(), creds.controlToken(), agent, files.directory(), List.of("sts.amazonaws.com"));
    String refreshed = Files.readString(Path.of(files.downstreamFiles().get("sts.amazonaws.com")));
    assertThat(refreshed).isNotEqualTo(downstream).isEqualTo(renewed.downstream().get(0).token());
    // A renewal that refreshes nothing leaves the downstream file as it is.
    steps.renew(creds.taskId(), creds.controlToken(), agent, files.directory(), List.of());
    assertThat(Files.readString(Path.of(files.downstreamFiles().get("sts.amazonaws.com")))).isEqualTo(refreshed);

    StepEnding ending = steps.finish(creds.taskId(), creds.controlToken(), TaskOutcome.SUCCEEDED, null, agent, files.directory());
    assertThat(ending.clean()).isTrue();
    assertThat(issuer.store().credentialsOf(creds.taskId()))
        .filteredOn(c -> c.kind() == dev.taskbound.issuer.store.CredentialKind.DOWNSTREAM_TOKEN)
        .hasSize(2)
        .extracting(CredentialRecord::revokedAt)
        .doesNotContainNull();
  }

  @Test
  void aRefusedRefreshKeepsTheRenewedSvidsAndSaysWhy() throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    StepCredentials creds = steps.begin(signer.attest(run("platform/limits", "main")), agent, agentTemp.toString(),
        List.of(), null, List.of("sts.amazonaws.com", "vault.example"));
    steps.renew(creds.taskId(), creds.controlToken(), agent, creds.written().directory(), List.of("sts.amazonaws.com"));
    String svid = Files.readString(Path.of(creds.written().svid()));

    // max_exchanges: 3 is used up: the fresh SVIDs are written all the same.
    StepCredentials renewed = steps.renew(creds.taskId(), creds.controlToken(), agent, creds.written().directory(), List.of("vault.example"));

    assertThat(renewed.failedExchanges()).containsOnlyKeys("vault.example");
    assertThat(renewed.failedExchanges().get("vault.example")).contains("invalid_grant");
    assertThat(Files.readString(Path.of(creds.written().svid()))).isNotEqualTo(svid);
    steps.finish(creds.taskId(), creds.controlToken(), TaskOutcome.SUCCEEDED, null, agent, creds.written().directory());
  }

  @Test
  void anExchangeThePolicyRefusesFailsTheBeginAndLeavesNothingBehind() throws Exception {
    LocalStepAgent agent = new LocalStepAgent();
    assertThatThrownBy(() -> steps.begin(signer.attest(run("platform/other", "main")), agent, agentTemp.toString(),
            List.of(), null, List.of("storage.googleapis.com")))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.getMessage()).contains("invalid_target"));
    try (var left = Files.list(agentTemp)) {
      assertThat(left).isEmpty();
    }
    assertThat(issuer.store().listTasks(null, 1000))
        .filteredOn(t -> "platform/other".equals(t.context().get("job")))
        .singleElement()
        .satisfies(t -> {
          assertThat(t.outcome()).isEqualTo(TaskOutcome.FAILED);
          assertThat(issuer.store().credentialsOf(t.taskId())).extracting(CredentialRecord::revokedAt).doesNotContainNull();
        });
  }

  /** A {@link StepAgent} whose every argument and answer goes through its plain-string wire form, as over remoting. */
  record WireOnlyAgent(LocalStepAgent local) implements StepAgent {
    @Override
    public KeyOffer createKey(String parent, String issuerUrl, String attestationSha256) {
      return KeyOffer.fromWire(local.createKey(parent, issuerUrl, attestationSha256).toWire());
    }

    @Override
    public WrittenFiles write(String directory, SvidFiles files) {
      return WrittenFiles.fromWire(local.write(directory, SvidFiles.fromWire(files.toWire())).toWire());
    }

    @Override
    public void wipe(String directory) {
      local.wipe(directory);
    }
  }
}
