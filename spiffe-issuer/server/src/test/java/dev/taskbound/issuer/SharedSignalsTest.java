package dev.taskbound.issuer;

import dev.taskbound.issuer.testing.ShiftedClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.sun.net.httpserver.HttpServer;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSF transmitter against a real push receiver on loopback (RFC 8935) that first answers 503. The SETs it
 * receives are verified from the transmitter's SSF configuration alone: with Nimbus, and with the npm {@code jose}
 * package driven by {@code src/test/node-ssf} (skipped only when node is not installed).
 */
class SharedSignalsTest {
  private static final String AUDIENCE = "https://receiver.example/ssf";
  private static final String CREDENTIAL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/credential-change";
  private static final String SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;
  private HttpServer receiver;
  private final List<String> accepted = new CopyOnWriteArrayList<>();
  private final List<String> contentTypes = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final AtomicInteger posts = new AtomicInteger();
  private Issuer issuer;

  @BeforeEach
  void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/events", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
      authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      // The first push finds the receiver down; the transmitter must come back.
      int status = posts.incrementAndGet() == 1 ? 503 : 202;
      if (status == 202) {
        accepted.add(new String(body, StandardCharsets.UTF_8));
      }
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    receiver.start();
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "dev: true",
            "listen: 127.0.0.1:0",
            "data_dir: " + dir.resolve("data"),
            "signals:",
            "  initial_backoff: 100ms",
            "  max_attempts: 5",
            "  receivers:",
            "    - url: http://127.0.0.1:" + receiver.getAddress().getPort() + "/events",
            "      audience: " + AUDIENCE,
            "      bearer_token_env: PATH", // any variable that is set: the header must carry it
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), new ShiftedClock());
  }

  @AfterEach
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
    receiver.stop(0);
  }

  @Test
  void ssfConfigurationAdvertisesPushDeliveryAndAKeySet() throws Exception {
    JsonNode config = ssfConfiguration();
    assertThat(config.path("issuer").asText()).isEqualTo(issuer.url());
    assertThat(config.path("jwks_uri").asText()).isEqualTo(issuer.url() + "/ssf/jwks");
    assertThat(config.path("delivery_methods_supported").toString()).isEqualTo("[\"urn:ietf:rfc:8935\"]");
    assertThat(config.path("spec_version").asText()).isEqualTo("1_0");
    JsonNode jwks = JSON.readTree(get(config.path("jwks_uri").asText()));
    assertThat(jwks.path("keys")).hasSize(1);
    assertThat(jwks.path("keys").get(0).has("d")).as("no private key material").isFalse();
  }

  @Test
  void taskEndIsPushedAsSignedCaepEventsRetriedAfterA503() throws Exception {
    BeginTaskResponse task =
        new IssuerClient(issuer.url())
            .begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("vault"), "10m");
    String serialHex = EndAndEvidenceAgreeTest.opensslSerial(leaf(task.x509SvidChainPem())).toLowerCase(java.util.Locale.ROOT);

    new IssuerClient(issuer.url()).end(task.taskId(), task.controlToken(), "succeeded", null);

    // x509 credential-change, jwt credential-change, session-revoked: one event per SET.
    await().atMost(20, TimeUnit.SECONDS).until(() -> distinct(accepted).size() >= 3);
    assertThat(posts.get()).as("the 503 was retried").isGreaterThan(distinct(accepted).size());
    assertThat(contentTypes).allSatisfy(ct -> assertThat(ct).isEqualTo("application/secevent+jwt"));
    assertThat(authorizations).allSatisfy(a -> assertThat(a).isEqualTo("Bearer " + System.getenv("PATH").trim()));

    List<JWTClaimsSet> sets = new ArrayList<>();
    for (String set : distinct(accepted)) {
      sets.add(verifiedFromDiscovery(set));
    }
    assertThat(sets).hasSize(3).allSatisfy(c -> {
      assertThat(c.getIssuer()).isEqualTo(issuer.url());
      assertThat(c.getAudience()).containsExactly(AUDIENCE);
      assertThat(c.getJWTID()).isNotBlank();
      assertThat(c.getIssueTime()).isNotNull();
      assertThat(c.getJSONObjectClaim("events")).hasSize(1);
      Map<String, Object> sub = c.getJSONObjectClaim("sub_id");
      assertThat(sub).containsEntry("format", "complex");
      assertThat(sub.get("application")).isEqualTo(Map.of("format", "uri", "uri", task.spiffeId()));
      assertThat(sub.get("session")).isEqualTo(Map.of("format", "opaque", "id", task.taskId()));
    });
    List<Map<String, Object>> changes = events(sets, CREDENTIAL_CHANGE);
    assertThat(changes).hasSize(2).allSatisfy(e -> {
      assertThat(e).containsEntry("change_type", "revoke");
      assertThat(e.get("event_timestamp")).isInstanceOf(Number.class);
    });
    assertThat(changes).anySatisfy(e -> assertThat(e).containsEntry("credential_type", "x509").containsEntry("x509_serial", serialHex));
    assertThat(changes).anySatisfy(e -> assertThat(e).containsEntry("credential_type", "jwt"));
    assertThat(events(sets, SESSION_REVOKED)).hasSize(1);

    verifiedByNodeJose(distinct(accepted));
  }

  // ---- an independent receiver's view ----------------------------------------------------------------------

  private JsonNode ssfConfiguration() throws Exception {
    return JSON.readTree(get(issuer.url() + "/.well-known/ssf-configuration"));
  }

  /** Nimbus, knowing only the issuer URL: SSF configuration, then its jwks_uri. */
  private JWTClaimsSet verifiedFromDiscovery(String set) throws Exception {
    JsonNode config = ssfConfiguration();
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("secevent+jwt")));
    processor.setJWSKeySelector(
        new JWSVerificationKeySelector<>(
            JWSAlgorithm.ES256, JWKSourceBuilder.create(new URL(config.path("jwks_uri").asText())).build()));
    processor.setJWTClaimsSetVerifier(
        new DefaultJWTClaimsVerifier<>(
            AUDIENCE, new JWTClaimsSet.Builder().issuer(config.path("issuer").asText()).build(), Set.of("iat", "jti", "events")));
    return processor.process(set, null);
  }

  private void verifiedByNodeJose(List<String> sets) throws Exception {
    Assumptions.assumeTrue(commandExists("node") && commandExists("npm"), "node is not installed");
    Path work = Path.of("target", "node-ssf");
    Files.createDirectories(work);
    for (String f : List.of("package.json", "package-lock.json", "verify-sets.mjs")) {
      Files.copy(Path.of("src", "test", "node-ssf", f), work.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(work.resolve("node_modules").resolve("jose"))) {
      run(work, null, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund");
    }
    String out = run(work, String.join("\n", sets) + "\n", "node", "verify-sets.mjs", issuer.url(), AUDIENCE);
    List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).hasSize(sets.size());
    for (String line : lines) {
      JsonNode verified = JSON.readTree(line);
      assertThat(verified.path("typ").asText()).isEqualTo("secevent+jwt");
      assertThat(verified.path("payload").path("iss").asText()).isEqualTo(issuer.url());
    }
  }

  // ---- plumbing --------------------------------------------------------------------------------------------

  private static String get(String url) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  private static List<String> distinct(List<String> sets) {
    return new ArrayList<>(new java.util.LinkedHashSet<>(sets));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> events(List<JWTClaimsSet> sets, String type) throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    for (JWTClaimsSet c : sets) {
      Object e = c.getJSONObjectClaim("events").get(type);
      if (e != null) {
        out.add((Map<String, Object>) e);
      }
    }
    return out;
  }

  private static X509Certificate leaf(String chainPem) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(chainPem.getBytes(StandardCharsets.UTF_8)));
  }

  private static boolean commandExists(String command) {
    for (String dirName : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dirName, command))) {
        return true;
      }
    }
    return false;
  }

  private static String run(Path workDir, String stdin, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(false).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    var err = new java.io.ByteArrayOutputStream();
    Thread drain = new Thread(() -> {
      try {
        p.getErrorStream().transferTo(err);
      } catch (IOException ignored) {
        // the exit code tells
      }
    });
    drain.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", command) + " finished").isTrue();
    drain.join();
    assertThat(p.exitValue()).as(String.join(" ", command) + " failed: " + err).isZero();
    return out;
  }
}
