package dev.taskbound.issuer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.issuer.attest.GitHubAttestorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private IssuerConfig load(String yaml) throws Exception {
    Path f = dir.resolve("issuer.yaml");
    Files.writeString(f, yaml);
    return ConfigLoader.load(f);
  }

  @Test
  void theDocumentedSampleLoads() {
    IssuerConfig cfg = ConfigLoader.load(Path.of("../../docs/examples/issuer.yaml"));
    assertThat(cfg.trustDomain()).isEqualTo("ci.example.org");
    assertThat(cfg.issuerUrl()).isEqualTo("https://taskbound.example.org");
    assertThat(cfg.ca().source()).isEqualTo("pem");
    assertThat(cfg.store().postgres()).isTrue();
    assertThat(cfg.ttl().jwtSvid()).isEqualTo(Duration.ofMinutes(5));
    assertThat(cfg.dev()).isFalse();
    assertThat(cfg.policyFile()).isEqualTo(Path.of("/etc/taskbound/policy.yaml"));
    assertThat(cfg.attestors().github().issuer()).isEqualTo("https://token.actions.githubusercontent.com");
    assertThat(cfg.attestors().github().audience()).isNull();
    assertThat(cfg.attestors().github().algorithms()).containsExactly("RS256");
    assertThat(cfg.attestors().jenkins()).isNotNull();
    assertThat(cfg.attestors().oidc()).singleElement().satisfies(o -> {
      assertThat(o.type()).isEqualTo("oidc:gitlab");
      assertThat(o.claimMapping()).containsEntry("repository", "project_path").containsEntry("run_id", "pipeline_id");
    });
  }

  @Test
  void githubEnterpriseAndServerKeepTheirAlgorithmsAndAreAlternatives() throws Exception {
    String base = "trust_domain: a.b\nissuer_url: https://x\ntls: {cert_file: a, key_file: b}\n";
    GitHubAttestorConfig ghec = load(base + "attestors: {github: {enterprise: acme, algorithms: [ES256]}}\n").attestors().github();
    assertThat(ghec.issuer()).isEqualTo("https://token.actions.githubusercontent.com/acme");
    assertThat(ghec.algorithms()).containsExactly("ES256");
    GitHubAttestorConfig ghes = load(base + "attestors: {github: {ghes_host: github.acme.internal, audience: tb, algorithms: [RS256, PS256]}}\n")
        .attestors().github();
    assertThat(ghes.issuer()).isEqualTo("https://github.acme.internal/_services/token");
    assertThat(ghes.audience()).isEqualTo("tb");
    assertThat(ghes.algorithms()).containsExactly("RS256", "PS256");
    assertThatThrownBy(() -> load(base + "attestors: {github: {enterprise: acme, ghes_host: github.acme.internal}}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("attestors.github").hasMessageContaining("one of");
    assertThatThrownBy(() -> load(base + "attestors: {github: {issuer: https://token.actions.githubusercontent.com, enterprise: acme}}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("one of");
  }

  @Test
  void devDefaultsNeedNothing() {
    IssuerConfig cfg = ConfigLoader.dev(dir);
    assertThat(cfg.trustDomain()).isEqualTo("taskbound.test");
    assertThat(cfg.listenHost()).isEqualTo("127.0.0.1");
    assertThat(cfg.listenPort()).isEqualTo(8080);
    assertThat(cfg.tls()).isNull();
    assertThat(cfg.ca().source()).isEqualTo("generated");
    assertThat(cfg.store().postgres()).isFalse();
  }

  @Test
  void heartbeatIsThreeRenewalIntervalsAtLeastThirtySecondsUnlessSet() throws Exception {
    assertThat(ConfigLoader.dev(dir).ttl().renewInterval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(ConfigLoader.dev(dir).ttl().heartbeat()).isEqualTo(Duration.ofMinutes(1));
    assertThat(load("dev: true\nttl: {renew_interval: 1m}\n").ttl().heartbeat()).isEqualTo(Duration.ofMinutes(3));
    assertThat(load("dev: true\nttl: {renew_interval: 5s}\n").ttl().heartbeat()).isEqualTo(Duration.ofSeconds(30));
    assertThat(load("dev: true\nttl: {heartbeat: 10m}\n").ttl().heartbeat()).isEqualTo(Duration.ofMinutes(10));
    assertThatThrownBy(() -> load("dev: true\nttl: {renew_interval: 1s}\n")).hasMessageContaining("ttl.renew_interval");
    assertThatThrownBy(() -> load("dev: true\nttl: {heartbeat: 30s, renew_interval: 20s}\n")).hasMessageContaining("ttl.heartbeat");
  }

  @Test
  void unknownKeysAreErrorsNamingTheKey() {
    assertThatThrownBy(() -> load("trust_domain: a.b\nissuer_url: https://x\ntls: {cert_file: a, key_file: b}\nttl: {jwt_svd: 5m}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ttl.jwt_svd");
  }

  @Test
  void productionNeedsTlsAndAnIssuerUrl() {
    assertThatThrownBy(() -> load("trust_domain: a.b\nissuer_url: https://x\n")).hasMessageContaining("tls is required");
    assertThatThrownBy(() -> load("trust_domain: a.b\ntls: {cert_file: a, key_file: b}\n")).hasMessageContaining("issuer_url is required");
  }

  @Test
  void badValuesAreRefused() {
    String base = "issuer_url: https://x\ntls: {cert_file: a, key_file: b}\n";
    assertThatThrownBy(() -> load("trust_domain: Upper.Case\n" + base)).hasMessageContaining("trust_domain");
    assertThatThrownBy(() -> load("trust_domain: a.b\n" + base + "ttl: {task_max: forever}\n")).hasMessageContaining("ttl.task_max");
    assertThatThrownBy(() -> load("trust_domain: a.b\n" + base + "ttl: {task_default: 2h, task_max: 1h}\n")).hasMessageContaining("task_default");
    assertThatThrownBy(() -> load("trust_domain: a.b\n" + base + "jwt: {algorithm: HS256}\n")).hasMessageContaining("jwt.algorithm");
    assertThatThrownBy(() -> load("trust_domain: a.b\n" + base + "ca: {source: cloud}\n")).hasMessageContaining("ca.source");
    assertThatThrownBy(() -> load("trust_domain: a.b\n" + base + "listen: nowhere\n")).hasMessageContaining("HOST:PORT");
    assertThatThrownBy(() -> load("dev: true\nlisten: 10.0.0.1:8080\n")).hasMessageContaining("loopback");
  }

  @Test
  void attestorsAndPolicyAreConfigured() throws Exception {
    IssuerConfig cfg =
        load(String.join("\n",
            "trust_domain: a.b",
            "issuer_url: https://issuer.example",
            "tls: {cert_file: a, key_file: b}",
            "policy: {file: /etc/taskbound/policy.yaml}",
            "attestors:",
            "  github: {enterprise: acme}",
            "  jenkins: {}",
            "  oidc:",
            "    - name: gitlab",
            "      issuer: https://gitlab.example",
            "      claims: {repository: project_path, run_id: pipeline_id}",
            ""));
    assertThat(cfg.policyFile()).isEqualTo(Path.of("/etc/taskbound/policy.yaml"));
    assertThat(cfg.attestors().github().issuer()).isEqualTo("https://token.actions.githubusercontent.com/acme");
    assertThat(cfg.attestors().jenkins()).isNotNull();
    assertThat(cfg.attestors().oidc()).singleElement().satisfies(o -> {
      assertThat(o.type()).isEqualTo("oidc:gitlab");
      assertThat(o.claimMapping()).containsEntry("run_id", "pipeline_id");
    });
    assertThat(ConfigLoader.dev(dir).attestors().github()).isNull();
  }

  @Test
  void badAttestorConfigurationNamesTheProblem() {
    String base = "trust_domain: a.b\nissuer_url: https://x\ntls: {cert_file: a, key_file: b}\n";
    assertThatThrownBy(() -> load(base + "attestors: {gitlab: {}}\n")).hasMessageContaining("attestors.gitlab");
    assertThatThrownBy(() -> load(base + "attestors: {github: {algorithms: [none]}}\n")).hasMessageContaining("attestors");
    assertThatThrownBy(() -> load(base + "attestors: {oidc: [{name: Bad_Name, issuer: https://i}]}\n")).hasMessageContaining("attestors");
    assertThatThrownBy(() -> load(base + "attestors: {oidc: [{name: x}]}\n")).hasMessageContaining("issuer");
  }

  @Test
  void crlAndSharedSignalsAreConfigured() throws Exception {
    IssuerConfig cfg =
        load(String.join("\n",
            "dev: true",
            "crl: {next_update: 10m}",
            "signals:",
            "  max_attempts: 3",
            "  initial_backoff: 5s",
            "  receivers:",
            "    - {url: https://rx.example/events, audience: https://rx.example, bearer_token_env: RX_TOKEN}",
            "    - {url: http://127.0.0.1:9000/ssf, audience: local}",
            ""));
    assertThat(cfg.crl().nextUpdate()).isEqualTo(Duration.ofMinutes(10));
    assertThat(cfg.signals().maxAttempts()).isEqualTo(3);
    assertThat(cfg.signals().initialBackoff()).isEqualTo(Duration.ofSeconds(5));
    assertThat(cfg.signals().receivers()).hasSize(2);
    assertThat(cfg.signals().receivers().get(0).bearerTokenEnv()).isEqualTo("RX_TOKEN");
    assertThat(cfg.signals().receivers().get(1).bearerTokenEnv()).isNull();

    IssuerConfig defaults = ConfigLoader.dev(dir);
    assertThat(defaults.crl().nextUpdate()).isEqualTo(Duration.ofMinutes(5));
    assertThat(defaults.signals().receivers()).isEmpty();
  }

  @Test
  void badSignalsConfigurationNamesTheProblem() {
    String base = "dev: true\n";
    assertThatThrownBy(() -> load(base + "signals: {receivers: [{url: https://rx, audience: a, token: x}]}\n"))
        .hasMessageContaining("signals.receivers[0].token");
    assertThatThrownBy(() -> load(base + "signals: {receivers: [{audience: a}]}\n")).hasMessageContaining("url is required");
    assertThatThrownBy(() -> load(base + "signals: {receivers: [{url: https://rx}]}\n")).hasMessageContaining("audience");
    assertThatThrownBy(() -> load(base + "signals: {receivers: [{url: http://rx.example/e, audience: a}]}\n"))
        .hasMessageContaining("https");
    assertThatThrownBy(() -> load(base + "signals: {max_attempts: 0}\n")).hasMessageContaining("max_attempts");
    assertThatThrownBy(() -> load(base + "signals: {retries: 3}\n")).hasMessageContaining("signals.retries");
    assertThatThrownBy(() -> load(base + "crl: {next_update: 30d}\n")).hasMessageContaining("crl.next_update");
    assertThatThrownBy(() -> load(base + "crl: {lifetime: 5m}\n")).hasMessageContaining("crl.lifetime");
  }

  @Test
  void durationsReadAsOperatorsWriteThem() {
    assertThat(HumanDuration.parse("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(HumanDuration.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(HumanDuration.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(HumanDuration.parse("PT2H")).isEqualTo(Duration.ofHours(2));
    assertThatThrownBy(() -> HumanDuration.parse("0s")).hasMessageContaining("positive");
    assertThatThrownBy(() -> HumanDuration.parse("-5m")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HumanDuration.parse("5 minutes")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void exchangeAndIntrospectionAreConfigured() throws Exception {
    IssuerConfig cfg =
        load(
            "dev: true\n"
                + "exchange:\n"
                + "  default_algorithm: RS256\n"
                + "  ttl: 15m\n"
                + "  audiences: {api://AzureADTokenExchange: {algorithm: RS256}, sts.amazonaws.com: {algorithm: ES256}}\n"
                + "introspection:\n"
                + "  clients: [{id: vault, secret_env: VAULT_INTROSPECTION_SECRET, audiences: [vault.example.org]}]\n");
    assertThat(cfg.exchange().ttl()).isEqualTo(Duration.ofMinutes(15));
    assertThat(cfg.exchange().algorithmFor("sts.amazonaws.com")).isEqualTo("ES256");
    assertThat(cfg.exchange().algorithmFor("anything-else")).isEqualTo("RS256");
    assertThat(cfg.introspection().clients()).singleElement()
        .isEqualTo(new IssuerConfig.Introspection.Client("vault", "VAULT_INTROSPECTION_SECRET", List.of("vault.example.org")));

    IssuerConfig defaults = ConfigLoader.dev(dir);
    assertThat(defaults.exchange()).isEqualTo(IssuerConfig.Exchange.defaults());
    assertThat(defaults.introspection().clients()).isEmpty();
  }

  @Test
  void badExchangeConfigurationNamesTheKey() {
    assertThatThrownBy(() -> load("dev: true\nexchange: {default_algorithm: HS256}\n")).hasMessageContaining("exchange.default_algorithm");
    assertThatThrownBy(() -> load("dev: true\nexchange: {audiences: {azure: {algorithm: PS256}}}\n")).hasMessageContaining("exchange.audiences.azure.algorithm");
    assertThatThrownBy(() -> load("dev: true\nexchange: {ttl: 5m, lifetime: 5m}\n")).hasMessageContaining("exchange.lifetime");
    assertThatThrownBy(() -> load("dev: true\nintrospection: {clients: [{id: vault, secret: hunter2}]}\n")).hasMessageContaining("introspection.clients[0].secret");
    assertThatThrownBy(() -> load("dev: true\nintrospection: {clients: [{id: vault}]}\n")).hasMessageContaining("secret_env is required");
    assertThatThrownBy(() -> load("dev: true\nintrospection: {clients: [{id: vault, secret_env: S, audiences: [\" \"]}]}\n"))
        .hasMessageContaining("introspection.clients[0].audiences must not contain an empty audience");
  }

  @Test
  void aRelyingPartyWithoutAudiencesIsBoundToNone() throws Exception {
    // A configuration from before audiences existed still starts, and that client sees no token at all.
    assertThat(load("dev: true\nintrospection: {clients: [{id: vault, secret_env: S}]}\n").introspection().clients())
        .singleElement()
        .satisfies(c -> assertThat(c.audiences()).isEmpty());
  }

  @Test
  void aGenericOidcProviderCanSpendTokensByDigest() throws Exception {
    IssuerConfig cfg = load("dev: true\nattestors: {oidc: [{name: circleci, issuer: https://oidc.circleci.com/org/x, single_use: token},"
        + " {name: gitlab, issuer: https://gitlab.com}]}\n");
    assertThat(cfg.attestors().oidc()).extracting(o -> o.singleUseByTokenDigest()).containsExactly(true, false);
    assertThatThrownBy(() -> load("dev: true\nattestors: {oidc: [{name: c, issuer: https://c.example, single_use: sub}]}\n"))
        .hasMessageContaining("single_use must be jti (the default) or token");
  }

  @Test
  void operatorsLoginCertificatesAndLogFormatLoadWithTheirDefaults() throws Exception {
    String base = "trust_domain: a.b\nissuer_url: https://x\ntls: {cert_file: a, key_file: b}\n";
    OperationsConfig plain = load(base).operations();
    assertThat(plain.logFormat()).isEqualTo(OperationsConfig.LogFormat.TEXT);
    assertThat(plain.adminMtls()).isNull();

    OperationsConfig ops = load(base + String.join("\n",
        "log: {format: json}",
        "admin:",
        "  oidc:",
        "    issuer: https://idp.example",
        "    audience: taskbound-admin",
        "    roles: {sre: operator}",
        "    login: {client_secret_env: TB_SECRET, scopes: [openid, groups], session_lifetime: 1h}",
        "  mtls:",
        "    ca_file: /etc/taskbound/admin-ca.pem",
        "    roles: {\"spiffe://acme.internal/ops/alice\": operator, \"CN=bob,O=Acme\": viewer}",
        "")).operations();
    assertThat(ops.logFormat()).isEqualTo(OperationsConfig.LogFormat.JSON);
    OperationsConfig.Login login = ops.adminOidc().login();
    assertThat(login.clientId()).isNull();
    assertThat(login.clientSecretEnv()).isEqualTo("TB_SECRET");
    assertThat(login.scopes()).containsExactly("openid", "groups");
    assertThat(login.sessionLifetime()).isEqualTo(Duration.ofHours(1));
    assertThat(load(base + "admin: {oidc: {issuer: https://i, audience: a, login: {}}}\n").operations().adminOidc().login().scopes())
        .containsExactly("openid", "profile", "email");
    assertThat(ops.adminMtls().caFile()).isEqualTo(Path.of("/etc/taskbound/admin-ca.pem"));
    assertThat(ops.adminMtls().roles()).containsEntry("spiffe://acme.internal/ops/alice", "operator").containsEntry("CN=bob,O=Acme", "viewer");

    assertThatThrownBy(() -> load(base + "log: {format: xml}\n")).hasMessageContaining("log.format must be text or json");
    assertThatThrownBy(() -> load(base + "log: {level: debug}\n")).hasMessageContaining("unknown configuration key log.level");
    assertThatThrownBy(() -> load(base + "admin: {oidc: {issuer: https://i, audience: a, login: {scopes: [email]}}}\n"))
        .hasMessageContaining("must include openid");
    assertThatThrownBy(() -> load(base + "admin: {oidc: {issuer: https://i, audience: a, login: {token_endpoint: http://idp.example/token}}}\n"))
        .hasMessageContaining("admin.oidc.login.token_endpoint must be an https URL");
    assertThatThrownBy(() -> load(base + "admin: {oidc: {issuer: https://i, audience: a, login: {session_lifetime: 30d}}}\n"))
        .hasMessageContaining("session_lifetime");
    assertThatThrownBy(() -> load(base + "admin: {mtls: {ca_file: ca.pem}}\n")).hasMessageContaining("admin.mtls.roles");
    assertThatThrownBy(() -> load(base + "admin: {mtls: {ca_file: ca.pem, roles: {\"CN=x\": root}}}\n"))
        .hasMessageContaining("viewer, operator or approver");
    assertThatThrownBy(() -> load("dev: true\nadmin: {mtls: {ca_file: ca.pem, roles: {\"CN=x\": viewer}}}\n"))
        .hasMessageContaining("admin.mtls needs the HTTPS listener");
  }
}
