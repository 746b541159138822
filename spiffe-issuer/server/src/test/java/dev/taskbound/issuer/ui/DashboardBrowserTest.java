package dev.taskbound.issuer.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.TaskState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, installed by
 * scripts/install-deps) driven through Selenium WebDriver: log in with the dev link, see a task begun through the
 * API appear live, open its timeline, see its evidence verified in the browser, end it from the page, see it
 * revoked. Screenshots of failures go to {@code target/screenshots/}. Without Chromium the test is skipped, unless
 * {@code TASKBOUND_REQUIRE_CHROMIUM=1} (scripts/test sets it) makes that a failure.
 */
class DashboardBrowserTest {
  @TempDir Path dir;
  Issuer issuer;
  @RegisterExtension final HeadlessChromium chromium = new HeadlessChromium();
  WebDriver browser;


  @BeforeEach
  void start() throws Exception {
    browser = chromium.start();
    issuer = Issuer.start(ConfigLoader.override(ConfigLoader.dev(dir), true, "127.0.0.1:0", null), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
  }


  private WebElement waitFor(By by) {
    return new WebDriverWait(browser, Duration.ofSeconds(20)).until(ExpectedConditions.visibilityOfElementLocated(by));
  }

  private void waitForText(By by, String text) {
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .withMessage(() -> "page says: " + browser.findElement(By.tagName("main")).getText())
        .until(ExpectedConditions.textToBePresentInElementLocated(by, text));
  }

  @Test
  void anOperatorSeesATaskLiveVerifiesItsEvidenceAndEndsIt() throws Exception {
    browser.get(issuer.devLoginLink());
    waitForText(By.id("who"), "dev-operator");
    assertThat(browser.getCurrentUrl()).doesNotContain("login=");
    waitForText(By.id("policy"), "dev-default");

    IssuerClient client = new IssuerClient(issuer.url());
    BeginTaskResponse task =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud-1"), null);

    // Live: the list polls, so the new task appears without a reload.
    WebElement row = waitFor(By.cssSelector("tr.task[data-task-id='" + task.taskId() + "']"));
    row.click();
    waitForText(By.id("task-id"), task.taskId());
    waitForText(By.id("evidence-status"), "evidence verified");
    assertThat(browser.findElement(By.id("evidence-detail")).getText()).contains("checkpoint signature verified (Ed25519)");
    assertThat(browser.findElement(By.id("events")).getText()).contains("task.begun").contains("credential.issued");
    assertThat(browser.findElement(By.id("task-state")).getText()).isEqualTo("active");

    browser.findElement(By.id("end-reason")).sendKeys("rotated by on-call");
    browser.findElement(By.id("end-task")).click();
    waitForText(By.id("task-state"), "revoked");
    waitForText(By.id("evidence-status"), "evidence verified");
    assertThat(browser.findElement(By.id("events")).getText())
        .contains("operator.action").contains("rotated by on-call").contains("task.ended").contains("credential.revoked");
    List<WebElement> credentials = browser.findElements(By.cssSelector("#credentials tr.credential"));
    assertThat(credentials).isNotEmpty().allSatisfy(c -> assertThat(c.getText()).doesNotContain("not revoked").contains(" s"));
    assertThat(issuer.store().findTask(task.taskId()).orElseThrow().state()).isEqualTo(TaskState.ENDED);
  }

  @Test
  void theChartShowsLifetimesOfTasksJustRunAndTheResidualExposureOfEndedOnes() throws Exception {
    browser.get(issuer.devLoginLink());
    waitForText(By.id("who"), "dev-operator");
    IssuerClient client = new IssuerClient(issuer.url());
    BeginTaskResponse ended =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud-1"), null);
    BeginTaskResponse running =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud-1"), null);
    client.end(ended.taskId(), ended.controlToken(), "succeeded", null);

    // The live view redraws the chart as it polls: a lifetime point per task, an exposure point for the ended one.
    waitFor(By.cssSelector("#chart circle.lifetime[data-task-id='" + ended.taskId() + "']"));
    waitFor(By.cssSelector("#chart circle.lifetime.active[data-task-id='" + running.taskId() + "']"));
    WebElement exposure = waitFor(By.cssSelector("#chart rect.exposure[data-task-id='" + ended.taskId() + "']"));
    assertThat(browser.findElements(By.cssSelector("#chart rect.exposure[data-task-id='" + running.taskId() + "']"))).isEmpty();
    assertThat(exposure.findElement(By.tagName("title")).getAttribute("textContent")).contains("residual exposure");
    assertThat(browser.findElement(By.id("chart")).getText()).contains("task lifetime").contains("residual exposure");
    // Drawn inside the page's bounds, at a y that grows with the value (SVG y points down).
    double cy = Double.parseDouble(browser.findElement(By.cssSelector("#chart circle[data-task-id='" + ended.taskId() + "']")).getAttribute("cy"));
    assertThat(cy).isBetween(0.0, 260.0);
    if (browser instanceof TakesScreenshot shot) {
      Path out = Path.of("target", "screenshots", "dashboard-chart.png");
      Files.createDirectories(out.getParent());
      Files.write(out, shot.getScreenshotAs(OutputType.BYTES));
    }
  }

  @Test
  void thePageIsServedUnderAStrictContentSecurityPolicy() throws Exception {
    HttpResponse<String> page =
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(issuer.url() + "/ui/")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).contains("default-src 'none'").contains("script-src 'self'").doesNotContain("unsafe-inline");
    assertThat(page.body()).doesNotContain("<script>").doesNotContain("http://").doesNotContain("https://");
  }
}
