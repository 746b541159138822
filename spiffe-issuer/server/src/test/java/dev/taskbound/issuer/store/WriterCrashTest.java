package dev.taskbound.issuer.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process whose store writer commits batches from many threads is killed with SIGKILL between (or during) batches:
 * every write it acknowledged is in the store afterwards. Real process, real SQLite file, synchronous=FULL.
 */
class WriterCrashTest {
  private static final Instant FAR = Instant.parse("2100-01-01T00:00:00Z");

  @TempDir Path dir;

  @Test
  void aKilledWriterLosesNothingItAcknowledged() throws Exception {
    Path file = dir.resolve("crash.db");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                AcknowledgingWriter.class.getName(),
                file.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<String> acknowledged = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        acknowledged.add(line);
        if (acknowledged.size() == 2_000) {
          child.destroyForcibly();
          break;
        }
      }
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(acknowledged).as("the child wrote before it was killed").hasSize(2_000);

    try (JdbcStore store = Stores.openSqlite(file)) {
      for (String digest : acknowledged) {
        assertThat(store.consumeOneTimeToken(digest, "crash", FAR.minusSeconds(60)))
            .as("acknowledged write %s survived the kill", digest)
            .isTrue();
      }
    }
  }

  /** The child: eight threads write one-time tokens and print each one once its write is acknowledged. */
  public static final class AcknowledgingWriter {
    public static void main(String[] args) throws Exception {
      JdbcStore store = Stores.openSqlite(Path.of(args[0]));
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        Thread writer = new Thread(() -> {
          for (long i = 0; ; i++) {
            String digest = "t" + thread + "-" + i;
            store.insertOneTimeToken(digest, "crash", FAR);
            synchronized (System.out) {
              System.out.println(digest);
              System.out.flush();
            }
          }
        });
        writer.start();
        threads.add(writer);
      }
      for (Thread t : threads) {
        t.join();
      }
    }
  }
}
