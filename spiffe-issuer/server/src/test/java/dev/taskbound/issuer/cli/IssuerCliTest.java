package dev.taskbound.issuer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.TaskKey;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import dev.taskbound.issuer.attest.DevAttestor;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.Stores;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code taskbound-issuer} as a newcomer uses it: {@code serve --dev} in its own JVM, then the operator commands
 * against the same data directory while it runs.
 */
class IssuerCliTest {
  @TempDir Path dataDir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = IssuerCli.commandLine(args); // as main() builds it: only the subcommand named
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void serveDevPrintsItsUrlAndATokenThatBeginsATaskAndOperatorCommandsSeeIt() throws Exception {
    Process serve =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                IssuerCli.class.getName(),
                "serve",
                "--dev",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                dataDir.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
      String url = null;
      String token = null;
      Pattern listening = Pattern.compile("Taskbound issuer listening on (http://127\\.0\\.0\\.1:\\d+)");
      Pattern devToken = Pattern.compile("dev attestation token \\(single use, 1h\\): (tbdev_\\S+)");
      for (String line; (line = out.readLine()) != null && (url == null || token == null); ) {
        Matcher m = listening.matcher(line);
        if (m.find()) {
          url = m.group(1);
        }
        m = devToken.matcher(line);
        if (m.find()) {
          token = m.group(1);
        }
      }
      assertThat(url).as("serve --dev prints its URL").isNotNull();
      assertThat(token).as("serve --dev prints a dev token").isNotNull();

      IssuerClient client = new IssuerClient(url);
      BeginTaskResponse begun = client.begin(new Attestation("dev", token), TaskKey.generate(), List.of("aud"), null);

      Run list = run("tasks", "list", "--json", "--data-dir", dataDir.toString());
      assertThat(list.exit()).isZero();
      JsonNode tasks = ApiJson.mapper().readTree(list.out());
      assertThat(tasks).hasSize(1);
      assertThat(tasks.get(0).get("task_id").asText()).isEqualTo(begun.taskId());
      assertThat(list.out()).doesNotContain(begun.controlToken());

      Run show = run("tasks", "show", begun.taskId(), "--data-dir", dataDir.toString());
      assertThat(show.exit()).isZero();
      assertThat(ApiJson.mapper().readTree(show.out()).get("credentials")).hasSize(2);

      Run end = run("tasks", "end", begun.taskId(), "--reason", "incident 42", "--data-dir", dataDir.toString());
      assertThat(end.exit()).isZero();
      assertThat(ApiJson.mapper().readTree(end.out()).get("outcome").asText()).isEqualTo("revoked");
      // The running server sees the operator's end: the task can no longer renew.
      assertThatThrownBy(() -> client.renew(begun.taskId(), begun.controlToken()))
          .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.status()).isEqualTo(409));

      Run token2 = run("dev-token", "--data-dir", dataDir.toString());
      assertThat(token2.exit()).isZero();
      assertThat(client.begin(new Attestation("dev", token2.out().trim()), TaskKey.generate(), List.of(), null).taskId()).isNotBlank();

      Run bundle = run("bundle", "--data-dir", dataDir.toString());
      assertThat(bundle.exit()).isZero();
      assertThat(ApiJson.mapper().readTree(bundle.out())).isEqualTo(ApiJson.mapper().readTree(client.bundleJson()));
      assertThat(run("bundle", "--format", "pem", "--data-dir", dataDir.toString()).out()).startsWith("-----BEGIN CERTIFICATE-----");
    } finally {
      serve.destroy();
      assertThat(serve.waitFor(20, TimeUnit.SECONDS)).as("serve stops on SIGTERM").isTrue();
    }
  }

  @Test
  void controllersAreRegisteredInTheDataDirAndRefusedWithPrivateKeys() throws Exception {
    var key = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("k1").generate();
    Path publicJwks = dataDir.resolve("public.jwks");
    java.nio.file.Files.writeString(publicJwks, new com.nimbusds.jose.jwk.JWKSet(key.toPublicJWK()).toString());
    Path privateJwks = dataDir.resolve("private.jwks");
    java.nio.file.Files.writeString(privateJwks, new com.nimbusds.jose.jwk.JWKSet(key).toString(false));

    Run refused = run("controllers", "add", "ci-main", "--jwks", privateJwks.toString(), "--data-dir", dataDir.toString());
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.err()).containsIgnoringCase("private");

    Run added = run("controllers", "add", "ci-main", "--jwks", publicJwks.toString(), "--data-dir", dataDir.toString());
    assertThat(added.exit()).as(added.err()).isZero();
    Run list = run("controllers", "list", "--data-dir", dataDir.toString());
    assertThat(list.out()).contains("ci-main");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void devTokenMintsIntoTheStoreOfTheConfigurationServeRunsWith(String kind) throws Exception {
    Path sqlite = dataDir.resolve("elsewhere.db");
    String[] pgUrl = new String[1];
    try (ScratchDatabase pg = kind.equals("postgres") ? ScratchDatabase.postgres(url -> {
      pgUrl[0] = url;
      return Stores.openPostgres(url, null, null);
    }) : null) {
      // A production-form file, as `serve --config FILE --dev` runs with; its store is not the data dir's default.
      Path config = dataDir.resolve("issuer.yaml");
      Files.writeString(config, String.join("\n",
          "trust_domain: a.b",
          "issuer_url: https://127.0.0.1:8443",
          "listen: 127.0.0.1:0",
          "tls: {cert_file: tls.crt, key_file: tls.key}",
          "data_dir: " + dataDir.resolve("data"),
          pg != null ? "store: {postgres_url: \"" + pgUrl[0] + "\", password_env: ''}" : "store: {sqlite_path: " + sqlite + "}",
          ""));

      Run refused = run("dev-token", "--config", config.toString());
      assertThat(refused.exit()).isEqualTo(2);
      assertThat(refused.err()).contains("--dev");

      Run minted = run("dev-token", "--config", config.toString(), "--dev");
      assertThat(minted.exit()).as(minted.err()).isZero();
      try (Store opened = pg != null ? null : Stores.openSqlite(sqlite)) {
        Store store = pg != null ? pg.store : opened;
        assertThat(new DevAttestor(store, Clock.systemUTC()).attest(new Attestation("dev", minted.out().trim())).platform())
            .isEqualTo("dev");
      }
    }
  }

  @Test
  void everyCommandAndSubcommandTakesHelp() {
    List<List<String>> paths = new ArrayList<>();
    collect(IssuerCli.commandLine(), new ArrayList<>(), paths);
    assertThat(paths).extracting(p -> String.join(" ", p)).contains("serve", "dev-token", "tasks end", "controllers add", "policy test");
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      Run r = run(args.toArray(String[]::new));
      assertThat(r.exit()).as("%s --help: %s", path, r.err()).isZero();
      assertThat(r.out()).as("%s --help", path).startsWith("Usage: taskbound-issuer " + String.join(" ", path));
    }
  }

  @Test
  void helpWithoutASubcommandListsEveryOne() {
    Run r = run("--help");
    assertThat(r.exit()).isZero();
    List<String> names = new ArrayList<>(IssuerCli.commandLine().getSubcommands().keySet());
    assertThat(names).contains("serve", "tasks", "controllers", "version", "help");
    assertThat(r.out()).contains(names.stream().map(n -> "  " + n + " ").toList());
  }

  @Test
  void theHelpCommandHelpsWithEveryOther() {
    assertThat(run("help", "serve").out()).isEqualTo(run("serve", "--help").out()).startsWith("Usage: taskbound-issuer serve");
    assertThat(run("help", "controllers").out()).isEqualTo(run("controllers", "--help").out()).contains("  add ");
  }

  @Test
  void aMistypedSubcommandIsAUsageErrorThatSuggestsTheRealOne() {
    Run r = run("serv", "--dev");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("serve");
  }

  @Test
  void subcommandsBuiltAloneStillTakeTheInheritedVersionOption() {
    Run r = run("serve", "--version");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("taskbound-issuer ");
  }

  /** Every command path below {@code cl}, picocli's own {@code help} command aside. */
  static void collect(CommandLine cl, List<String> prefix, List<List<String>> into) {
    cl.getSubcommands().forEach((name, sub) -> {
      if (!name.equals("help")) {
        List<String> path = new ArrayList<>(prefix);
        path.add(name);
        into.add(path);
        collect(sub, path, into);
      }
    });
  }

  @Test
  void serveWithoutConfigOrDevIsAUsageError() {
    Run r = run("serve");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--config FILE, or --dev");
  }

  @Test
  void devModeRefusesANonLoopbackListenAddress() {
    Run r = run("serve", "--dev", "--listen", "0.0.0.0:0", "--data-dir", dataDir.toString());
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("loopback only");
  }

  @Test
  void showOfAnUnknownTaskFails() {
    Run r = run("tasks", "show", "tsk_aaaaaaaaaaaaaaaaaaaaaaaaaa", "--data-dir", dataDir.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("no task");
  }

  @Test
  void versionNamesTheCryptoProvider() {
    Run r = run("version");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).startsWith("taskbound-issuer ").containsPattern("crypto (AmazonCorrettoCryptoProvider|BC)");
  }
}
