package dev.taskbound.issuer.ui;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, installed by scripts/install-deps)
 * for one test, through Selenium WebDriver: {@link #start()} it in {@code @BeforeEach}; a failed test leaves a
 * screenshot and the page's HTML in {@code target/screenshots/}; the browser quits after each test. Without Chromium
 * the test is skipped, unless {@code TASKBOUND_REQUIRE_CHROMIUM=1} (scripts/test sets it) makes that a failure.
 */
final class HeadlessChromium implements AfterTestExecutionCallback, AfterEachCallback {
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String DRIVER = "/usr/bin/chromedriver";
  private final String windowSize;
  private ChromeDriver browser;

  HeadlessChromium() {
    this(1280, 900);
  }

  HeadlessChromium(int width, int height) {
    this.windowSize = width + "," + height;
  }

  WebDriver start() {
    boolean required = "1".equals(System.getenv("TASKBOUND_REQUIRE_CHROMIUM"));
    if (!new File(CHROMIUM).canExecute() || !new File(DRIVER).canExecute()) {
      if (required) {
        fail("TASKBOUND_REQUIRE_CHROMIUM=1 but " + CHROMIUM + " or " + DRIVER + " is missing: run scripts/install-deps");
      }
      Assumptions.abort("Chromium not installed (" + CHROMIUM + ", " + DRIVER + "): browser test skipped; scripts/install-deps installs it");
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=" + windowSize);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER)).usingAnyFreePort().build();
    try {
      browser = new ChromeDriver(service, options);
      return browser;
    } catch (RuntimeException e) {
      if (required) {
        throw new AssertionError("TASKBOUND_REQUIRE_CHROMIUM=1 but Chromium did not start: " + e.getMessage(), e);
      }
      Assumptions.abort("Chromium did not start, browser test skipped: " + e.getMessage());
      return null;
    }
  }

  /** Runs before {@code @AfterEach} methods, so a failed test still has a page to photograph. */
  @Override
  public void afterTestExecution(ExtensionContext context) throws Exception {
    if (context.getExecutionException().isPresent() && browser != null) {
      Path out = Path.of("target", "screenshots", context.getDisplayName().replaceAll("\\W", "_") + ".png");
      Files.createDirectories(out.getParent());
      Files.write(out, browser.getScreenshotAs(OutputType.BYTES));
      Files.writeString(out.resolveSibling(out.getFileName() + ".html"), browser.getPageSource());
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (browser != null) {
      try {
        browser.quit();
      } catch (RuntimeException e) {
        // the browser is gone already; nothing to clean up
      }
      browser = null;
    }
  }
}
