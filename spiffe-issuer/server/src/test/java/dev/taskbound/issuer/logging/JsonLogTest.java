package dev.taskbound.issuer.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.cli.IssuerCli;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code log.format: json} on a real {@code taskbound-issuer serve} process: every line it writes to stderr is one
 * JSON object, the lines about a task carry {@code task_id} and {@code spiffe_id} as fields, and no token, control
 * token, login code or key appears anywhere in the log.
 */
class JsonLogTest {
  @TempDir Path dir;

  @Test
  void everyLineIsJsonTaskLinesCarryTheTaskFieldsAndNoSecretIsLogged() throws Exception {
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join("\n", "dev: true", "listen: 127.0.0.1:0", "data_dir: " + dir.resolve("data"), "log:", "  format: json", ""));
    Path stderr = dir.resolve("stderr.txt");
    Process serve =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                IssuerCli.class.getName(), "serve", "--config", config.toString())
            .redirectError(stderr.toFile())
            .start();
    List<String> secrets = new ArrayList<>();
    String taskId;
    String spiffeId;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))) {
      String url = value(out, "Taskbound issuer listening on (\\S+)");
      String devToken = value(out, "dev attestation token \\(single use, 1h\\): (\\S+)");
      String loginLink = value(out, "operator login link \\(single use, 1h\\): (\\S+)");
      secrets.add(devToken);
      secrets.add(loginLink.substring(loginLink.indexOf("#login=") + 7));

      IssuerClient client = new IssuerClient(url);
      TaskKey key = TaskKey.generate();
      BeginTaskResponse task = client.begin(new Attestation("dev", devToken), key, List.of("aud-1"), null);
      taskId = task.taskId();
      spiffeId = task.spiffeId();
      RenewTaskResponse renewed = client.renew(taskId, task.controlToken());
      client.end(taskId, task.controlToken(), "succeeded", "done");
      // A refusal is logged too, and must not quote what was refused.
      assertThatThrownBy(() -> client.begin(new Attestation("dev", devToken), TaskKey.generate(), List.of("aud-1"), null))
          .hasMessageContaining("already used");
      secrets.add(task.controlToken());
      task.jwtSvids().forEach(j -> secrets.add(j.token()));
      renewed.jwtSvids().forEach(j -> secrets.add(j.token()));
      secrets.add(Base64.getEncoder().encodeToString(key.privateKey().getEncoded()));
      serve.destroy();
      assertThat(serve.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      serve.destroyForcibly();
    }

    List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
    assertThat(lines).hasSizeGreaterThan(5);
    List<JsonNode> events = new ArrayList<>();
    for (String line : lines) {
      JsonNode event = ApiJson.mapper().readTree(line);
      assertThat(event.isObject()).as(line).isTrue();
      assertThat(event.path("@timestamp").isTextual()).as(line).isTrue();
      assertThat(event.path("level").isTextual()).as(line).isTrue();
      assertThat(event.path("message").isTextual()).as(line).isTrue();
      events.add(event);
    }
    JsonNode begun = only(events, "task begun");
    assertThat(begun.path("task_id").asText()).isEqualTo(taskId);
    assertThat(begun.path("spiffe_id").asText()).isEqualTo(spiffeId);
    JsonNode ended = only(events, "task ended");
    assertThat(ended.path("task_id").asText()).isEqualTo(taskId);
    assertThat(ended.path("spiffe_id").asText()).isEqualTo(spiffeId);
    for (JsonNode e : events) {
      if (e.path("message").asText().contains(taskId)) {
        assertThat(e.path("task_id").asText()).as(e.toString()).isEqualTo(taskId);
      } else {
        // Lines about no task carry no task fields: nothing leaks from one request into the next on a pooled thread.
        assertThat(e.has("task_id")).as(e.toString()).isFalse();
      }
    }

    String log = String.join("\n", lines);
    for (String secret : secrets) {
      assertThat(log).doesNotContain(secret);
    }
    assertThat(log).doesNotContain("PRIVATE KEY").doesNotContain("tbct_").doesNotContain("tbdev_").doesNotContain("tblogin_").doesNotContain("tbadm_");
  }

  private static JsonNode only(List<JsonNode> events, String messageStart) {
    List<JsonNode> found = events.stream().filter(e -> e.path("message").asText().startsWith(messageStart)).toList();
    assertThat(found).as("lines starting with '" + messageStart + "' in " + events).hasSize(1);
    return found.get(0);
  }

  private static String value(BufferedReader out, String pattern) throws Exception {
    Pattern p = Pattern.compile(pattern);
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        return m.group(1);
      }
    }
    throw new AssertionError("the issuer never printed " + pattern);
  }
}
