package dev.taskbound.issuer.exchange;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code src/test/node/verify-downstream.mjs} — the npm package {@code jose}, pinned by the committed lock file
 * and installed once into {@code target/node-check} with {@code npm ci} — as an independent relying party. Without
 * {@code node} the calling test is skipped, unless {@code TASKBOUND_REQUIRE_NODE=1} (as {@code scripts/test} sets).
 */
final class NodeJose {
  private static final Path SOURCE = Path.of("src/test/node");
  private static final Path WORK = Path.of("target/node-check");

  private NodeJose() {}

  /** Verifies each {@code (token, audience)} from the issuer's discovery document alone; one result per token. */
  static JsonNode verify(String issuer, List<Map<String, String>> tokens) throws Exception {
    requireNode();
    install();
    Process p =
        new ProcessBuilder("node", "verify-downstream.mjs").directory(WORK.toFile()).redirectErrorStream(false).start();
    p.getOutputStream().write(ApiJson.mapper().writeValueAsBytes(Map.of("issuer", issuer, "tokens", tokens)));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      fail("node verify-downstream.mjs failed: " + err);
    }
    return ApiJson.mapper().readTree(out);
  }

  private static void requireNode() throws InterruptedException {
    boolean present;
    try {
      present = new ProcessBuilder("node", "--version").redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException e) {
      present = false;
    }
    if (!present && "1".equals(System.getenv("TASKBOUND_REQUIRE_NODE"))) {
      fail("node is required (TASKBOUND_REQUIRE_NODE=1) but was not found on PATH");
    }
    assumeTrue(present, "node is not installed: the jose relying-party check is skipped");
  }

  /** Copies the script and lock file, then {@code npm ci} unless the pinned jose is already there. */
  private static synchronized void install() throws Exception {
    Files.createDirectories(WORK);
    boolean lockChanged = !Files.exists(WORK.resolve("package-lock.json"))
        || Files.mismatch(SOURCE.resolve("package-lock.json"), WORK.resolve("package-lock.json")) != -1;
    for (String f : List.of("package.json", "package-lock.json", "verify-downstream.mjs")) {
      Files.copy(SOURCE.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!lockChanged && Files.isDirectory(WORK.resolve("node_modules/jose"))) {
      return;
    }
    Process npm =
        new ProcessBuilder("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
            .directory(WORK.toFile())
            .redirectErrorStream(true)
            .start();
    String log = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
      fail("npm ci failed: " + log);
    }
  }
}
