package dev.taskbound.cli.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.cli.LoopbackIssuer;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.SessionOptions;
import dev.taskbound.client.TaskSession;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * go-spiffe, the reference SPIFFE client, against our socket (src/test/go). Skipped when {@code go} is not on the
 * PATH, or when its modules can be neither found in the cache nor downloaded.
 */
class GoSpiffeTest {
  @TempDir Path dataDir;

  @Test
  void goSpiffeFetchesValidatesSeesRotationAndIsDeniedAtEnd() throws Exception {
    Path binary = buildOrSkip();
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(1);
    try (LoopbackIssuer issuer = LoopbackIssuer.start(dataDir, Duration.ofSeconds(4))) {
      TaskSession session = TaskSession.begin(new IssuerClient(issuer.url()), issuer.devAttestation(),
          SessionOptions.defaults().withAudiences(List.of("sts.example")), Clock.systemUTC(), scheduler);
      WorkloadApiServer wapi = WorkloadApiServer.start(session, session.directory().file(WorkloadApiServer.SOCKET), Clock.systemUTC());
      Process go = new ProcessBuilder(binary.toString(), wapi.endpoint(), "sts.example").redirectErrorStream(true).start();
      List<String> lines = new CopyOnWriteArrayList<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(go.getInputStream(), StandardCharsets.UTF_8))) {
          r.lines().forEach(lines::add);
        } catch (java.io.IOException ignored) {
          // Process gone.
        }
      });
      reader.start();
      try {
        await().atMost(Duration.ofSeconds(20)).until(() -> lines.stream().anyMatch(l -> l.startsWith("ROTATED") || l.startsWith("FAIL")));
        assertThat(lines).as(String.join("\n", lines)).noneMatch(l -> l.startsWith("FAIL"));
        assertThat(lines).anyMatch(l -> l.equals("JWT " + session.spiffeId()));
        assertThat(lines).anyMatch(l -> l.startsWith("X509 " + session.spiffeId() + " "));
        String firstSerial = lines.stream().filter(l -> l.startsWith("X509 ")).findFirst().orElseThrow().split(" ")[2];
        assertThat(lines.stream().filter(l -> l.startsWith("ROTATED")).findFirst().orElseThrow()).doesNotEndWith(" " + firstSerial);

        // The task ends while the socket is still served: the watch ends with PermissionDenied (not a response
        // without SVIDs, which go-spiffe reports as malformed), and so does every later call.
        session.end(TaskOutcome.SUCCEEDED, null);
        assertThat(go.waitFor(20, TimeUnit.SECONDS)).isTrue();
        reader.join(5000);
        String out = String.join("\n", lines);
        assertThat(lines).as(out).contains("DONE")
            .contains("AFTER-END x509 PermissionDenied", "AFTER-END x509-bundles PermissionDenied",
                "AFTER-END jwt-bundles PermissionDenied", "AFTER-END jwt PermissionDenied")
            .filteredOn(l -> l.startsWith("WATCH-ERROR")).singleElement().asString().startsWith("WATCH-ERROR PermissionDenied ");
        assertThat(out).doesNotContain("no SVIDs");
      } finally {
        go.destroyForcibly();
        wapi.close();
        session.close();
      }
    } finally {
      scheduler.shutdownNow();
    }
  }

  private static Path buildOrSkip() throws Exception {
    String go = findOnPath("go");
    Assumptions.assumeTrue(go != null, "go is not on the PATH");
    Path src = Path.of("src/test/go").toAbsolutePath();
    Path out = Path.of("target/gospiffecheck").toAbsolutePath();
    Process build = new ProcessBuilder(go, "build", "-o", out.toString(), ".").directory(src.toFile()).redirectErrorStream(true).start();
    String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(build.waitFor(300, TimeUnit.SECONDS)).isTrue();
    if (build.exitValue() != 0) {
      boolean noModules = output.contains("dial tcp") || output.contains("proxy.golang.org") || output.contains("GOFLAGS=-mod=mod")
          || output.contains("missing go.sum entry") || output.contains("lookup ");
      Assumptions.assumeFalse(noModules, "go-spiffe modules unavailable offline: " + output);
      throw new AssertionError("go build failed:\n" + output);
    }
    return out;
  }

  private static String findOnPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }
}
