package dev.taskbound.issuer.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.Attestation;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.attest.FakeTokenService;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.ApprovalState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Approvers in the dashboard, in a real headless Chromium: pending requests appear as they are made; approve
 * yields the task to its waiting caller; deny needs and records a reason; the issuer still refuses the requester's
 * own request, and the page says why. (Dev mode's login is an approver trusted for every group.)
 */
class DashboardApprovalsBrowserTest {
  private static final AtomicInteger RUNS = new AtomicInteger(7000);
  @TempDir Path dir;
  FakeTokenService github;
  Issuer issuer;
  IssuerClient client;
  @RegisterExtension final HeadlessChromium chromium = new HeadlessChromium();
  WebDriver browser;

  @BeforeEach
  void start() throws Exception {
    browser = chromium.start();
    github = new FakeTokenService("", Clock.systemUTC());
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        String.join("\n",
            "rules:",
            "  - name: deploy-prod",
            "    when: ci.platform == 'github'",
            "    spiffe_id: \"spiffe://{trust_domain}/deploy/{ci.run_id}\"",
            "    max_ttl: 20m",
            "    approval: release-managers",
            ""));
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join("\n",
            "dev: true",
            "listen: 127.0.0.1:0",
            "data_dir: " + dir.resolve("data"),
            "policy: {file: " + policy + "}",
            "attestors:",
            "  github: {issuer: \"" + github.issuer() + "\"}",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), Clock.systemUTC());
    client = new IssuerClient(issuer.url());
  }

  @AfterEach
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
    if (github != null) {
      github.close();
    }
  }

  private ApprovalView request(String actor) {
    String runId = Integer.toString(RUNS.incrementAndGet());
    Attestation attestation = new Attestation("github", github.mint(issuer.url(), c -> c.claim("actor", actor).claim("run_id", runId)));
    IssuerClient.Started started = client.start(attestation, TaskKey.generate(), List.of(), "10m");
    assertThat(started.approval()).isNotNull();
    return started.approval();
  }

  private WebElement row(String approvalId) {
    return new WebDriverWait(browser, Duration.ofSeconds(20))
        .withMessage(() -> "page says: " + browser.findElement(By.tagName("main")).getText())
        .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("tr.approval[data-approval-id='" + approvalId + "']")));
  }

  private void gone(String approvalId) {
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .withMessage(() -> "page says: " + browser.findElement(By.tagName("main")).getText())
        .until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("tr.approval[data-approval-id='" + approvalId + "']")));
  }

  private void waitForText(By by, String text) {
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .withMessage(() -> "page says: " + browser.findElement(By.tagName("main")).getText())
        .until(ExpectedConditions.textToBePresentInElementLocated(by, text));
  }

  @Test
  void anApproverApprovesAndDeniesFromTheDashboardButNeverTheirOwnRequest() throws Exception {
    browser.get(issuer.devLoginLink());
    waitForText(By.id("who"), "dev-operator");
    waitForText(By.id("no-approvals"), "No request waits");

    // Requests appear as they are made (the page polls).
    ApprovalView octocats = request("octocat");
    ApprovalView own = request("dev-operator");
    ApprovalView denied = request("hubot");
    // All three shown before anything is clicked: a later refresh that adds one rebuilds the rows under the test.
    row(own.approvalId());
    row(denied.approvalId());
    WebElement first = row(octocats.approvalId());
    assertThat(first.getText()).contains("release-managers").contains("octocat").contains("deploy-prod");

    // Their own request: the issuer refuses, the page says so, the request stays pending.
    row(own.approvalId()).findElement(By.cssSelector("button.approve")).click();
    waitForText(By.id("approval-error"), "dev-operator asked for this task and cannot approve it");
    assertThat(issuer.store().findApproval(own.approvalId()).orElseThrow().state()).isEqualTo(ApprovalState.PENDING);
    row(own.approvalId());

    // Approve: the row goes, and the waiting caller gets its answer.
    row(octocats.approvalId()).findElement(By.cssSelector("button.approve")).click();
    gone(octocats.approvalId());
    assertThat(client.approval(octocats.approvalId(), octocats.requestToken(), Duration.ofSeconds(5)).status()).isEqualTo("approved");
    assertThat(issuer.store().findApproval(octocats.approvalId()).orElseThrow().approvedBy()).containsExactly("dev-operator");

    // Deny needs a reason; with one, the caller hears it.
    WebElement toDeny = row(denied.approvalId());
    toDeny.findElement(By.cssSelector("button.deny")).click();
    waitForText(By.id("approval-error"), "reason is required");
    // A refusal leaves the row as it was: the same element (a rebuilt row would be stale here), where a reason
    // being typed is not lost.
    toDeny.findElement(By.cssSelector("input.deny-reason")).sendKeys("not during the freeze");
    toDeny.findElement(By.cssSelector("button.deny")).click();
    gone(denied.approvalId());
    ApprovalView answer = client.approval(denied.approvalId(), denied.requestToken());
    assertThat(answer.status()).isEqualTo("denied");
    assertThat(answer.deniedBy()).isEqualTo("dev-operator");
    assertThat(answer.reason()).isEqualTo("not during the freeze");
    row(own.approvalId());
  }
}
