package dev.taskbound.issuer.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.cli.PolicyCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PolicyCommandTest {
  @TempDir Path dir;
  private Path policy;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void writePolicy() throws Exception {
    policy = dir.resolve("policy.yaml");
    Files.write(policy, Contexts.resource("main-branch.yaml"));
  }

  @Test
  void anAllowedContextPrintsTheIdAndExitsZero() throws Exception {
    Path context =
        context(
            "{\"platform\": \"github\","
                + " \"ci\": {\"repository\": \"acme/app\", \"ref\": \"refs/heads/main\", \"run_id\": \"9\"},"
                + " \"claims\": {\"sub\": \"repo:acme/app:ref:refs/heads/main\", \"actor\": null},"
                + " \"request\": {\"audiences\": [\"sts.amazonaws.com\"], \"ttl_seconds\": 600}}");

    int exit = run("test", "--policy", policy.toString(), "--context", context.toString());

    assertThat(exit).as(err.toString()).isZero();
    JsonNode json = onlyJsonObject();
    assertThat(json.get("decision").asText()).isEqualTo("allow");
    assertThat(json.get("rule").asText()).isEqualTo("deploy-main");
    assertThat(json.get("spiffe_id").asText()).isEqualTo("spiffe://taskbound.test/ci/github/acme/app/deploy/9");
    assertThat(json.get("reason").isNull()).isTrue();
    assertThat(json.get("policy_version").asText()).isEqualTo(Policy.sha256Hex(Files.readAllBytes(policy)));
  }

  @Test
  void aDeniedContextPrintsTheReasonAndExitsThree() throws Exception {
    Path context =
        context(
            "{\"platform\": \"github\", \"ci\": {\"repository\": \"acme/app\", \"ref\": \"refs/heads/dev\"}}");

    int exit =
        run(
            "test", "--policy", policy.toString(), "--context", context.toString(),
            "--trust-domain", "example.org");

    assertThat(exit).isEqualTo(3);
    JsonNode json = onlyJsonObject();
    assertThat(json.get("decision").asText()).isEqualTo("deny");
    assertThat(json.get("rule").asText()).isEqualTo("deploy-main");
    assertThat(json.get("reason").asText()).isEqualTo(Decision.CONDITION_FALSE);
    assertThat(json.get("spiffe_id").isNull()).isTrue();
  }

  @Test
  void theTrustDomainOptionIsUsed() throws Exception {
    Path context =
        context(
            "{\"platform\": \"github\","
                + " \"ci\": {\"repository\": \"acme/app\", \"ref\": \"refs/heads/main\", \"run_id\": \"9\"}}");

    int exit =
        run("test", "--policy", policy.toString(), "--context", context.toString(), "--trust-domain", "example.org");

    assertThat(exit).isZero();
    assertThat(onlyJsonObject().get("spiffe_id").asText()).startsWith("spiffe://example.org/");
  }

  @Test
  void invalidInputExitsTwoAndPrintsNoDecision() throws Exception {
    Path good = context("{\"platform\": \"github\", \"ci\": {}}");
    Path badJson = context("{\"platform\": ");
    Path badShape = context("{\"platform\": \"github\", \"ci\": {\"run_id\": 9}}");
    Path badPolicy = dir.resolve("bad.yaml");
    Files.writeString(badPolicy, "rules:\n  - {name: a, when: 'nope(', max_ttl: 1m, spiffe_id: 'spiffe://{trust_domain}/a'}\n");

    for (List<String> args :
        List.of(
            List.of("test", "--policy", badPolicy.toString(), "--context", good.toString()),
            List.of("test", "--policy", policy.toString(), "--context", badJson.toString()),
            List.of("test", "--policy", policy.toString(), "--context", badShape.toString()),
            List.of("test", "--policy", dir.resolve("missing.yaml").toString(), "--context", good.toString()),
            List.of("test", "--policy", policy.toString(), "--context", good.toString(), "--trust-domain", "Bad TD"),
            List.of("test", "--policy", policy.toString()))) {
      out.getBuffer().setLength(0);
      assertThat(run(args.toArray(String[]::new))).as(String.join(" ", args)).isEqualTo(2);
      assertThat(out.toString()).as(String.join(" ", args)).isEmpty();
    }
  }

  private int run(String... args) {
    CommandLine cli = new CommandLine(new PolicyCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  private JsonNode onlyJsonObject() throws Exception {
    String printed = out.toString().strip();
    assertThat(printed.lines()).hasSize(1);
    JsonNode json = ApiJson.mapper().readTree(printed);
    assertThat(json.isObject()).isTrue();
    return json;
  }

  private Path context(String json) throws Exception {
    Path file = Files.createTempFile(dir, "context", ".json");
    Files.writeString(file, json);
    return file;
  }
}
