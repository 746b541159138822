package dev.taskbound.jenkins;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.taskbound.client.jenkins.ControllerKey;
import java.util.List;
import org.jenkinsci.plugins.workflow.steps.StepConfigTester;
import org.junit.jupiter.api.Test;
import org.jvnet.hudson.test.JenkinsRule;
import org.jvnet.hudson.test.junit.jupiter.WithJenkins;

@WithJenkins
class TaskboundConfigurationTest {

  @Test
  void theGlobalConfigurationSurvivesTheFormAndTheKeyIsKept(JenkinsRule r) throws Exception {
    TaskboundConfiguration config = TaskboundConfiguration.get();
    config.setIssuerUrl("https://taskbound.example.com/");
    config.setControllerName("ci-prod");
    ControllerKey before = config.controllerKey();

    r.configRoundtrip();

    assertThat(config.getIssuerUrl(), is("https://taskbound.example.com"));
    assertThat(config.getControllerName(), is("ci-prod"));
    assertThat(config.getEffectiveControllerName(), is("ci-prod"));
    assertThat(config.controllerKey(), is(before));
    // The managed key is stored encrypted: the PEM never appears in the saved configuration.
    String xml = java.nio.file.Files.readString(r.jenkins.getRootDir().toPath().resolve(TaskboundConfiguration.class.getName() + ".xml"));
    assertThat(xml, not(containsString(before.privateKeyPem().split("\n")[1])));
  }

  @Test
  void theStepSurvivesTheSnippetForm(JenkinsRule r) throws Exception {
    WithTaskIdentityStep step = new WithTaskIdentityStep();
    step.setAudiences(List.of("sts.amazonaws.com", "vault.example"));
    step.setTtl("15m");

    WithTaskIdentityStep after = new StepConfigTester(r).configRoundTrip(step);

    assertThat(after.getAudiences(), is(List.of("sts.amazonaws.com", "vault.example")));
    assertThat(after.getTtl(), is("15m"));
  }
}
