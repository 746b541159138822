package dev.taskbound.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.taskbound.api.ApiJson;
import dev.taskbound.client.CredentialDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What {@code taskbound begin} leaves for {@code renew} and {@code end}: the file {@value #FILE} in the private
 * directory (0600). It holds the control token, so it lives and dies with the credentials. {@code issuer_ca_pem}
 * keeps the CA certificates {@code begin} trusted for the issuer, so {@code renew}, {@code exchange} and {@code end}
 * trust the same without being told again.
 */
record ShellState(
    @JsonProperty("issuer_url") String issuerUrl,
    @JsonProperty("task_id") String taskId,
    @JsonProperty("spiffe_id") String spiffeId,
    @JsonProperty("control_token") String controlToken,
    List<String> audiences,
    @JsonProperty("end_retry_seconds") long endRetrySeconds,
    @JsonProperty("issuer_ca_pem") String issuerCaPem) {
  static final String FILE = ".taskbound-state.json";

  void write(CredentialDirectory dir) {
    try {
      dir.writeAtomically(FILE, ApiJson.mapper().writeValueAsString(this));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ShellState read(Path dir) {
    Path f = dir.resolve(FILE);
    try {
      return ApiJson.mapper().readValue(Files.readString(f), ShellState.class);
    } catch (IOException e) {
      throw new IllegalStateException("no task state in " + dir + " (was it begun with 'taskbound begin', and not yet ended?)", e);
    }
  }

  Duration endRetry() {
    return Duration.ofSeconds(endRetrySeconds);
  }

  @Override
  public String toString() {
    return "ShellState[" + taskId + ", " + spiffeId + "]";
  }
}
