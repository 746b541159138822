package dev.taskbound.issuer.attest;

import dev.taskbound.issuer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.ECKey;
import dev.taskbound.issuer.cli.ControllersCommand;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.Store;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ControllersCommandTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
  ECKey key;
  StringWriter out;
  StringWriter err;

  @BeforeEach
  void setUp() throws Exception {
    key = JenkinsRunStatementAttestorTest.ecKey("ctl-1");
  }

  int run(String... args) {
    out = new StringWriter();
    err = new StringWriter();
    CommandLine cli =
        new CommandLine(new ControllersCommand(() -> TestStores.open(dir), JwksFetcher.withDefaults(), clock));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  Path write(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content);
  }

  ControllerRecord stored(String name) {
    try (Store store = TestStores.open(dir)) {
      return store.findController(name).orElse(null);
    }
  }

  @Test
  void addListRemoveWithAJwksFile() throws Exception {
    Path jwks = write("ci.json", new JWKSet(key.toPublicJWK()).toString(true));

    assertThat(run("add", "ci.example.com", "--jwks", jwks.toString())).isZero();
    assertThat(stored("ci.example.com").jwksJson()).contains("ctl-1");
    assertThat(stored("ci.example.com").jwksUrl()).isNull();

    assertThat(run("list")).isZero();
    assertThat(out.toString()).contains("ci.example.com").contains("kid ctl-1");

    assertThat(run("remove", "ci.example.com")).isZero();
    assertThat(stored("ci.example.com")).isNull();
    assertThat(run("remove", "ci.example.com")).isEqualTo(1);
    assertThat(err.toString()).contains("no controller named ci.example.com");
  }

  @Test
  void jwksHoldingAPrivateKeyIsRefused() throws Exception {
    Path jwks = write("private.json", new JWKSet(key).toString(false));
    assertThat(jwks).content().contains("\"d\"");

    assertThat(run("add", "ci.example.com", "--jwks", jwks.toString())).isEqualTo(1);

    assertThat(err.toString()).contains("JWKS contains private key material").doesNotContain(key.getD().toString());
    assertThat(stored("ci.example.com")).isNull();
  }

  @Test
  void jwksWithoutKidOrNotJsonIsRefused() throws Exception {
    Path noKid = write("nokid.json", new JWKSet(new ECKey.Builder(key.toPublicJWK()).keyID(null).build()).toString());
    assertThat(run("add", "a", "--jwks", noKid.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("without kid");

    Path garbage = write("garbage.json", "{not json");
    assertThat(run("add", "a", "--jwks", garbage.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("not a valid JWKS");
  }

  @Test
  void addWithAJwksUrlValidatesThePublishedKeys() throws Exception {
    try (JwksServer jenkins = new JwksServer(new JWKSet(key.toPublicJWK()).toString())) {
      assertThat(run("add", "ci.example.com", "--jwks-url", jenkins.uri().toString())).isZero();
      assertThat(stored("ci.example.com").jwksUrl()).isEqualTo(jenkins.uri().toString());

      jenkins.publish(new JWKSet(key).toString(false));
      assertThat(run("add", "leaky", "--jwks-url", jenkins.uri().toString())).isEqualTo(1);
      assertThat(err.toString()).contains("private key material");
      assertThat(stored("leaky")).isNull();
    }
  }

  @Test
  void plainHttpJwksUrlIsRefusedUnlessLoopback() {
    assertThat(run("add", "ci", "--jwks-url", "http://jenkins.example.com/jwks", "--no-fetch")).isEqualTo(1);
    assertThat(err.toString()).contains("https");
  }

  @Test
  void jwksAndJwksUrlAreExclusive() throws Exception {
    Path jwks = write("ci.json", new JWKSet(key.toPublicJWK()).toString(true));
    assertThat(run("add", "ci", "--jwks", jwks.toString(), "--jwks-url", "https://x.example/jwks")).isEqualTo(2);
    assertThat(run("add", "ci")).isEqualTo(2);
  }
}
