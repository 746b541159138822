package dev.taskbound.jenkins;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.TaskOutcome;
import hudson.model.Result;
import java.util.List;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.jenkinsci.plugins.workflow.steps.FlowInterruptedException;
import org.jenkinsci.plugins.workflow.test.steps.SemaphoreStep;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

@WithJenkins
class WithTaskIdentityStepTest {
  private JenkinsRule r;
  private FakeIssuer issuer;

  @BeforeEach
  void setUp(JenkinsRule rule) throws Exception {
    r = rule;
    issuer = new FakeIssuer();
    TaskboundConfiguration config = TaskboundConfiguration.get();
    config.setIssuerUrl(issuer.url());
    config.setControllerName("ci-test");
    r.createOnlineSlave();
  }

  @AfterEach
  void tearDown() {
    issuer.close();
  }

  private WorkflowJob job(String script) throws Exception {
    WorkflowJob p = r.createProject(WorkflowJob.class, "p");
    p.setDefinition(new CpsFlowDefinition(script, true));
    return p;
  }

  private String onlyTask() {
    assertThat(issuer.endedOutcomes, aMapWithSize(1));
    return issuer.endedOutcomes.keySet().iterator().next();
  }

  @Test
  void revokedAtTheEndOfASuccessfulBlockAndTheTokenMasked() throws Exception {
    WorkflowJob p = job(
        "node('!built-in') {\n"
            + "  withTaskIdentity(audiences: ['sts.amazonaws.com'], ttl: '15m') {\n"
            + "    echo \"token=${readFile(env.TASKBOUND_JWT_STS_2EAMAZONAWS_2ECOM_FILE)}\"\n"
            + "    echo \"dir=${env.TASKBOUND_SVID_DIR}\"\n"
            + "    echo \"id=${env.TASKBOUND_SPIFFE_ID}\"\n"
            + "  }\n"
            + "}\n");
    WorkflowRun b = r.buildAndAssertSuccess(p);

    String task = onlyTask();
    assertThat(issuer.endedOutcomes.get(task), is("succeeded"));
    r.assertLogContains("token=****", b);
    r.assertLogNotContains(issuer.tokens.get(task), b);
    r.assertLogContains("id=spiffe://taskbound.test/", b);
    r.assertLogContains("ended succeeded: 1 credential(s) revoked", b);
    // The files are gone from the agent.
    String dir = JenkinsRule.getLog(b).lines().filter(l -> l.startsWith("dir=")).findFirst().orElseThrow().substring(4);
    assertThat(new java.io.File(dir).exists(), is(false));
    // The build page lists the task with its revocation.
    TaskIdentityAction action = b.getAction(TaskIdentityAction.class);
    assertThat(action.getTasks(), hasSize(1));
    assertThat(action.getTasks().get(0).getOutcome(), is("succeeded"));
    assertThat(action.getTasks().get(0).getResidualExposureSeconds(), is(42L));
  }

  @Test
  void theRunStatementIsSignedWithTheKeyServedAtTheJwksUrl() throws Exception {
    r.buildAndAssertSuccess(job("node { withTaskIdentity { echo 'hi' } }"));

    String jwks = r.createWebClient().goTo("taskbound/jwks", "application/jwk-set+json").getWebResponse().getContentAsString();
    ECKey key = (ECKey) JWKSet.parse(jwks).getKeys().get(0);
    assertThat(key.isPrivate(), is(false));
    SignedJWT statement = SignedJWT.parse(issuer.statements.get(0));
    assertThat(statement.verify(new ECDSAVerifier(key)), is(true));
    assertThat(statement.getHeader().getKeyID(), equalTo(key.getKeyID()));
    assertThat(statement.getJWTClaimsSet().getIssuer(), is("ci-test"));
    assertThat(statement.getJWTClaimsSet().getStringClaim("job"), is("p"));
    assertThat(statement.getJWTClaimsSet().getLongClaim("build_number"), is(1L));
    assertThat(statement.getJWTClaimsSet().getAudience(), equalTo(List.of(issuer.url())));
  }

  @Test
  void revokedAsFailedWhenTheBlockFails() throws Exception {
    WorkflowRun b = r.buildAndAssertStatus(Result.FAILURE, job("node { withTaskIdentity { error 'boom' } }"));

    assertThat(issuer.endedOutcomes.get(onlyTask()), is("failed"));
    r.assertLogContains("boom", b);
  }

  @Test
  void revokedAsAbortedWhenTheBuildIsAborted() throws Exception {
    WorkflowJob p = job("node { withTaskIdentity { semaphore 'wait' } }");
    WorkflowRun b = p.scheduleBuild2(0).waitForStart();
    SemaphoreStep.waitForStart("wait/1", b);
    b.getExecutor().interrupt();
    r.assertBuildStatus(Result.ABORTED, r.waitForCompletion(b));

    assertThat(issuer.endedOutcomes.get(onlyTask()), is("aborted"));
  }

  @Test
  void revokedAsTimedOutWhenTheTimeoutStepFires() throws Exception {
    WorkflowRun b = r.buildAndAssertStatus(Result.ABORTED,
        job("timeout(time: 3, unit: 'SECONDS') { node { withTaskIdentity { sleep 60 } } }"));

    assertThat(issuer.endedOutcomes.get(onlyTask()), is("timed_out"));
    assertThat(b.getAction(TaskIdentityAction.class).getTasks().get(0).getOutcome(), is("timed_out"));
  }

  @Test
  void renewedWhileTheBlockRuns() throws Exception {
    issuer.renewAfterSeconds = 1;
    r.buildAndAssertSuccess(job("node { withTaskIdentity { sleep 4 } }"));

    assertThat(issuer.renewals.getOrDefault(onlyTask(), 0) >= 1, is(true));
  }

  @Test
  void outcomesMapFromTheBodysFailure() {
    assertThat(WithTaskIdentityStep.outcomeOf(new RuntimeException()), is(TaskOutcome.FAILED));
    assertThat(WithTaskIdentityStep.outcomeOf(new FlowInterruptedException(Result.ABORTED, true)), is(TaskOutcome.ABORTED));
    assertThat(WithTaskIdentityStep.reasonOf(new IllegalStateException("secret-ish message")), not(containsString("secret-ish")));
  }

  @Test
  void exchangedDownstreamTokensAreFilesOnTheAgentNamedByVariablesAndMasked() throws Exception {
    WorkflowRun b = r.buildAndAssertSuccess(job(
        "node('!built-in') {\n"
            + "  withTaskIdentity(exchange: ['sts.amazonaws.com', 'vault.example'], awsRoleArn: 'arn:aws:iam::1:role/r') {\n"
            + "    echo \"sts=${readFile(env.AWS_WEB_IDENTITY_TOKEN_FILE)}\"\n"
            + "    echo \"vault=${readFile(env.TASKBOUND_DOWNSTREAM_VAULT_2EEXAMPLE_FILE)}\"\n"
            + "    echo \"role=${env.AWS_ROLE_ARN}\"\n"
            + "  }\n"
            + "}\n"));

    assertThat(issuer.exchanged, equalTo(List.of("sts.amazonaws.com", "vault.example")));
    assertThat(issuer.audiences.get(onlyTask()), equalTo(List.of(issuer.url())));
    r.assertLogContains("sts=****", b);
    r.assertLogContains("vault=****", b);
    r.assertLogContains("role=arn:aws:iam::1:role/r", b);
  }

  @Test
  void aTaskTheIssuerEndedAsExpiredFailsTheStepByDefault() throws Exception {
    issuer.endOutcomeOverride = "expired";
    WorkflowRun b = r.buildAndAssertStatus(Result.FAILURE, job("node { withTaskIdentity { echo 'done' } }"));

    r.assertLogContains("the issuer had already ended task", b);
    r.assertLogContains("lifetime ran out before the block ended", b);
    assertThat(b.getAction(TaskIdentityAction.class).getTasks().get(0).getOutcome(), is("expired"));
  }

  @Test
  void withOnExpiryWarnAnExpiredTaskOnlyWarns() throws Exception {
    issuer.endOutcomeOverride = "expired";
    WorkflowRun b = r.buildAndAssertSuccess(job("node { withTaskIdentity(onExpiry: 'warn') { echo 'done' } }"));

    r.assertLogContains("the issuer had already ended task", b);
  }

  @Test
  void staleTaskDirectoriesInTheWorkspaceAreDeletedWhenABlockStarts() throws Exception {
    WorkflowJob p = job("node('!built-in') { withTaskIdentity { echo \"dir=${env.TASKBOUND_SVID_DIR}\" } }");
    WorkflowRun first = r.buildAndAssertSuccess(p);
    String dir = JenkinsRule.getLog(first).lines().filter(l -> l.startsWith("dir=")).findFirst().orElseThrow().substring(4);
    // What an agent that died mid-block leaves: the directory with its key.
    java.nio.file.Path stale = java.nio.file.Files.createDirectory(
        java.nio.file.Path.of(dir).resolveSibling("taskbound-0b9f6a3e-2c1d-4e5f-8a7b-9c0d1e2f3a4b"),
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    java.nio.file.Files.writeString(stale.resolve("svid_key.pem"), "-----BEGIN PRIVATE KEY-----");

    WorkflowRun second = r.buildAndAssertSuccess(p);

    r.assertLogContains("deleted 1 stale task directories", second);
    assertThat(java.nio.file.Files.exists(stale), is(false));
  }

  @Test
  void theLifetimeCauseMapsToFailed() {
    assertThat(WithTaskIdentityStep.outcomeOf(
        new FlowInterruptedException(Result.FAILURE, true, new WithTaskIdentityStep.LifetimeRanOut("tsk_1"))), is(TaskOutcome.FAILED));
  }
}
