package dev.taskbound.issuer.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.ExceptionRecord;
import dev.taskbound.issuer.store.Write;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
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
 * The dashboard's standing-exception section in a real headless Chromium (as {@link DashboardBrowserTest}): an
 * operator logged in with the dev link sees every open exception with its state, expired and unreviewed ones first
 * and counted, adds one through the form, reviews an unreviewed one and revokes an expired one; the store shows
 * what the page did, in the operator's name. Skipped without Chromium unless {@code TASKBOUND_REQUIRE_CHROMIUM=1}.
 */
class DashboardExceptionsBrowserTest {
  @TempDir Path dir;
  Issuer issuer;
  @RegisterExtension final HeadlessChromium chromium = new HeadlessChromium(1600, 1000);
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


  /**
   * An exception as it would stand after {@code createdAgo} without a review, expiring {@code expiresIn} from now:
   * written straight to the store, since the register itself only adds exceptions now.
   */
  private String seed(String name, Duration createdAgo, Duration expiresIn) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    String id = "exc_" + name.repeat(26).substring(0, 26);
    issuer.store().insertException(
        ExceptionRecord.added(
            id, "service account " + name, "prod deploys", "team-" + name, "not migrated yet", now.minus(createdAgo),
            new ExceptionRecord.Actor("cli", "seeder"), now.plus(expiresIn)),
        Write.of("seed", c -> null));
    return id;
  }

  private WebElement row(String id) {
    return new WebDriverWait(browser, Duration.ofSeconds(20))
        .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("tr.exception[data-exception-id='" + id + "']")));
  }

  private void waitForText(By by, String text) {
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .withMessage(() -> "page says: " + browser.findElement(By.tagName("main")).getText())
        .until(ExpectedConditions.textToBePresentInElementLocated(by, text));
  }

  private void waitForState(String id, String state) {
    waitForText(By.cssSelector("tr.exception[data-exception-id='" + id + "'] .exc-state"), state);
  }

  @Test
  void anOperatorSeesExpiredAndUnreviewedExceptionsFirstAndActsOnThem() throws Exception {
    String expired = seed("e", Duration.ofDays(40), Duration.ofDays(-1));
    String unreviewed = seed("u", Duration.ofDays(31), Duration.ofDays(50));
    String expiring = seed("x", Duration.ZERO, Duration.ofDays(10));
    String active = seed("a", Duration.ZERO, Duration.ofDays(60));

    browser.get(issuer.devLoginLink());
    waitForText(By.id("who"), "dev-operator");
    waitForText(By.id("exception-counts"), "expired 1 · unreviewed 1 · expiring 1 · active 1 · revoked 0");
    assertThat(browser.findElement(By.id("exception-counts")).getAttribute("class")).isEqualTo("bad");
    assertThat(browser.findElement(By.id("exception-rules")).getText()).contains("expiry at most 90d ahead").contains("review every 30d");
    List<String> order =
        browser.findElements(By.cssSelector("#exception-rows tr.exception")).stream().map(r -> r.getAttribute("data-exception-id")).toList();
    assertThat(order).containsExactly(expired, unreviewed, expiring, active);
    waitForState(expired, "expired");
    waitForState(unreviewed, "unreviewed");
    waitForState(expiring, "expiring");
    waitForState(active, "active");
    assertThat(row(unreviewed).getText()).contains("service account u").contains("team-u").contains("never");

    // Add one through the form.
    browser.findElement(By.id("exc-identity")).sendKeys("GitHub deploy key acme/legacy");
    browser.findElement(By.id("exc-scope")).sendKeys("write to acme/legacy");
    browser.findElement(By.id("exc-owner")).sendKeys("legacy-team");
    browser.findElement(By.id("exc-reason")).sendKeys("old runner has no OIDC");
    browser.findElement(By.id("exc-days")).sendKeys("30");
    browser.findElement(By.id("exc-add")).click();
    waitForText(By.id("exception-counts"), "active 2");
    ExceptionRecord added =
        issuer.store().listExceptions(10).stream().filter(e -> e.owner().equals("legacy-team")).findFirst().orElseThrow();
    assertThat(added.createdBy()).isEqualTo(new ExceptionRecord.Actor("dev", "dev-operator"));
    assertThat(Duration.between(Instant.now(), added.expiresAt())).isBetween(Duration.ofDays(30).minusMinutes(5), Duration.ofDays(30));
    waitForState(added.exceptionId(), "active");

    // Review the unreviewed one: it is active again.
    row(unreviewed).findElement(By.className("exc-note")).sendKeys("owner confirmed");
    row(unreviewed).findElement(By.className("exc-review")).click();
    waitForState(unreviewed, "active");
    assertThat(issuer.store().findException(unreviewed).orElseThrow().lastReviewNote()).isEqualTo("owner confirmed");
    assertThat(row(unreviewed).getText()).contains("by dev-operator");

    // The expired one: a review without a new expiry is refused on the page; a revocation needs its reason.
    row(expired).findElement(By.className("exc-review")).click();
    waitForText(By.cssSelector("tr.exception[data-exception-id='" + expired + "'] .exc-error"), "review it with a new expires_at");
    row(expired).findElement(By.className("exc-revoke")).click();
    waitForText(By.cssSelector("tr.exception[data-exception-id='" + expired + "'] .exc-error"), "reason is required");
    row(expired).findElement(By.className("exc-note")).sendKeys("account deleted");
    row(expired).findElement(By.className("exc-revoke")).click();
    waitForText(By.id("exception-counts"), "expired 0 · unreviewed 0 · expiring 1 · active 3 · revoked 1");
    assertThat(browser.findElements(By.cssSelector("tr.exception[data-exception-id='" + expired + "']"))).isEmpty();
    ExceptionRecord revoked = issuer.store().findException(expired).orElseThrow();
    assertThat(revoked.revokeReason()).isEqualTo("account deleted");
    assertThat(revoked.revokedBy()).isEqualTo(new ExceptionRecord.Actor("dev", "dev-operator"));
    assertThat(browser.findElement(By.id("exception-counts")).getAttribute("class")).isEmpty();
  }
}
