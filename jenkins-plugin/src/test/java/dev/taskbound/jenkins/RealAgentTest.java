package dev.taskbound.jenkins;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import hudson.model.Result;
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition;
import org.jenkinsci.plugins.workflow.job.WorkflowJob;
import org.jenkinsci.plugins.workflow.job.WorkflowRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jvnet.hudson.test.junit.jupiter.RealJenkinsExtension;

/**
 * The step on an agent in a real Jenkins (its own JVM, plugins in their real class loaders, the remoting class
 * filter on): what JenkinsRule's in-process plugins cannot show, such as a class of the bundled client jar crossing
 * the channel (JEP-200).
 */
class RealAgentTest {
  @RegisterExtension private final RealJenkinsExtension rr = new RealJenkinsExtension();
  private FakeIssuer issuer;

  @BeforeEach
  void setUp() throws Exception {
    issuer = new FakeIssuer();
  }

  @AfterEach
  void tearDown() {
    issuer.close();
  }

  @Test
  void theStepRunsOnAnAgentAcrossTheClassFilter() throws Throwable {
    String url = issuer.url();
    rr.then(r -> {
      TaskboundConfiguration config = TaskboundConfiguration.get();
      config.setIssuerUrl(url);
      config.setControllerName("ci-test");
      r.createOnlineSlave(r.jenkins.getLabel("remote"));
      WorkflowJob p = r.createProject(WorkflowJob.class, "p");
      p.setDefinition(new CpsFlowDefinition(
          "node('remote') { withTaskIdentity(exchange: ['vault.example']) {\n"
              + "  sh 'test -s \"$TASKBOUND_SVID_KEY_FILE\" && test -s \"$TASKBOUND_DOWNSTREAM_VAULT_2EEXAMPLE_FILE\" && echo files-ok'\n"
              + "} }", true));
      WorkflowRun b = r.buildAndAssertStatus(Result.SUCCESS, p);
      r.assertLogContains("files-ok", b);
      r.assertLogNotContains("Rejected:", b);
    });
    assertThat(issuer.endedOutcomes.values().iterator().next(), is("succeeded"));
  }
}
