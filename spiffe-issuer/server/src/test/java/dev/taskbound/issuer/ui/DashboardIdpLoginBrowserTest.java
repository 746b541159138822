package dev.taskbound.issuer.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.admin.StandInIdp;
import dev.taskbound.issuer.config.ConfigLoader;
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
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard's "Sign in with your IdP" in a real headless Chromium, against the stand-in IdP over real HTTP on
 * loopback (real discovery, JWKS and RS256 signatures; the authorization-code flow with PKCE checked as the RFCs
 * say): the operator signs in and sees their role; a forged state, an ID token with another nonce and a code bound
 * to another sign-in's verifier are refused on the page, which stays logged out. The issuer is a public client here
 * (PKCE only); OidcLoginTest covers the confidential one.
 */
class DashboardIdpLoginBrowserTest {
  @TempDir Path dir;
  StandInIdp idp;
  Issuer issuer;
  @RegisterExtension final HeadlessChromium chromium = new HeadlessChromium();
  WebDriver browser;


  @BeforeEach
  void start() throws Exception {
    browser = chromium.start();
    idp = new StandInIdp();
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        idp.devIssuerConfig(dir.resolve("data"), "{sre: operator, eng: viewer}", "login: {}"));
    issuer = Issuer.start(ConfigLoader.load(config), Clock.systemUTC());
    idp.registerClient(StandInIdp.AUDIENCE, issuer.url() + "/ui/", null);
  }

  @AfterEach
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
    if (idp != null) {
      idp.close();
    }
  }

  private void waitForText(By by, String text) {
    // The page navigates to the IdP and back while we wait: an element of the page left behind is no error.
    new WebDriverWait(browser, Duration.ofSeconds(20))
        .ignoring(WebDriverException.class)
        .withMessage(() -> "page says: " + browser.findElement(By.tagName("main")).getText())
        .until(ExpectedConditions.textToBePresentInElementLocated(by, text));
  }

  private void signIn() {
    browser.get(issuer.url() + "/ui/");
    new WebDriverWait(browser, Duration.ofSeconds(20)).until(ExpectedConditions.elementToBeClickable(By.id("idp-login"))).click();
  }

  private void refusedWith(String detail) {
    waitForText(By.id("login-error"), detail);
    assertThat(browser.getCurrentUrl()).isEqualTo(issuer.url() + "/ui/");
    assertThat(browser.findElement(By.id("login")).isDisplayed()).isTrue();
    assertThat(browser.findElement(By.id("who")).getText()).isEmpty();
  }

  @Test
  void anOperatorSignsInThroughTheIdpAndSeesTheirRole() {
    idp.signInAs("olga@example.com", List.of("sre"));
    signIn();
    // Through the IdP's /authorize and back to /ui/?code=…&state=…, which the page redeems and then wipes.
    waitForText(By.id("who"), "olga@example.com (operator)");
    assertThat(browser.getCurrentUrl()).isEqualTo(issuer.url() + "/ui/");
    waitForText(By.id("policy"), "dev-default");
    assertThat(browser.findElement(By.id("live")).isDisplayed()).isTrue();
  }

  @Test
  void aViewerSeesTheViewerRoleAndNoEndButton() {
    idp.signInAs("vera@example.com", List.of("eng"));
    signIn();
    waitForText(By.id("who"), "vera@example.com (viewer)");
  }

  @Test
  void aForgedStateIsRefusedOnThePage() {
    browser.get(issuer.url() + "/ui/?code=stolen-code&state=forged-state");
    refusedWith("state is unknown");
  }

  @Test
  void anIdTokenWithAnotherNonceIsRefusedOnThePage() {
    idp.nextIdToken(c -> c.claim("nonce", "nonce-of-another-sign-in"));
    signIn();
    refusedWith("nonce");
  }

  @Test
  void aCodeBoundToAnotherSignInsVerifierIsRefusedOnThePage() {
    idp.bindNextCodeTo(StandInIdp.s256("verifier-of-an-attackers-sign-in-0123456789abcdef"));
    signIn();
    refusedWith("invalid_grant");
  }
}
