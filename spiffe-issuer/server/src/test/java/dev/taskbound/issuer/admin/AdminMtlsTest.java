package dev.taskbound.issuer.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.TaskState;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API authenticated by client certificates ({@code admin.mtls}) over real TLS on loopback: a certificate
 * of the admin CA gets the role its URI SAN or subject maps to; an X.509-SVID, a certificate for another purpose, an
 * unmapped one, one of another CA or an expired one gets nothing and changes nothing.
 */
class AdminMtlsTest {
  static final String ALICE = "spiffe://acme.internal/ops/alice";
  @TempDir static Path dir;
  static TestPki.Issued tls;
  static TestPki.Issued adminCa;
  static Issuer issuer;
  static IssuerClient client;

  @BeforeAll
  static void start() throws Exception {
    tls = TestPki.tlsServer();
    adminCa = TestPki.ca("CN=Acme Admin CA,O=Acme");
    TestPki.writePem(dir.resolve("tls.crt"), "CERTIFICATE", tls.cert().getEncoded());
    TestPki.writePem(dir.resolve("tls.key"), "PRIVATE KEY", tls.key().getEncoded());
    TestPki.writePem(dir.resolve("admin-ca.pem"), "CERTIFICATE", adminCa.cert().getEncoded());
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join("\n",
            "dev: true",
            "listen: 127.0.0.1:0",
            "data_dir: " + dir.resolve("data"),
            "tls: {cert_file: " + dir.resolve("tls.crt") + ", key_file: " + dir.resolve("tls.key") + "}",
            "admin:",
            "  mtls:",
            "    ca_file: " + dir.resolve("admin-ca.pem"),
            "    roles:",
            "      \"" + ALICE + "\": operator",
            "      \"CN=bob,OU=SRE,O=Acme\": viewer",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), Clock.systemUTC());
    client = new IssuerClient(issuer.url(), TestPki.https(tls.cert(), null, null), Clock.systemUTC(), Duration.ofSeconds(10));
  }

  @AfterAll
  static void stop() {
    if (issuer != null) {
      issuer.close();
    }
  }

  static BeginTaskResponse begin(TaskKey key) {
    return client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), key, List.of("aud-1"), null);
  }

  static HttpClient as(TestPki.Issued cert) throws Exception {
    return TestPki.https(tls.cert(), List.of(cert.cert()), cert.key());
  }

  static HttpResponse<String> get(HttpClient http, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(issuer.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> end(HttpClient http, String taskId, String bearer) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/admin/tasks/" + taskId + "/end"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"rotate\"}"));
    if (bearer != null) {
      r.header("Authorization", "Bearer " + bearer);
    }
    return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return ApiJson.mapper().readTree(r.body());
  }

  static void stillActive(String taskId) {
    assertThat(issuer.store().findTask(taskId).orElseThrow().state()).isEqualTo(TaskState.ACTIVE);
  }

  @Test
  void anOperatorCertificateMappedByUriSanEndsATaskAndTheEvidenceNamesIt() throws Exception {
    HttpClient alice = as(TestPki.clientCert(adminCa, "CN=alice,O=Acme", ALICE));
    JsonNode who = json(get(alice, "/v1/admin/whoami"), 200);
    assertThat(who.get("subject").asText()).isEqualTo(ALICE);
    assertThat(who.get("issuer").asText()).isEqualTo("x509:CN=Acme Admin CA,O=Acme");
    assertThat(who.get("roles").toString()).isEqualTo("[\"operator\"]");

    BeginTaskResponse task = begin(TaskKey.generate());
    JsonNode ended = json(end(alice, task.taskId(), null), 200);
    assertThat(ended.get("outcome").asText()).isEqualTo("revoked");
    String statement =
        new String(
            Base64.getDecoder().decode(ApiJson.mapper().readTree(client.evidenceBundle(task.taskId())).at("/envelope/payload").asText()),
            StandardCharsets.UTF_8);
    assertThat(statement).contains("operator.action").contains(ALICE).contains("x509:CN=Acme Admin CA,O=Acme");
  }

  @Test
  void aViewerCertificateMappedBySubjectNameReadsButCannotEnd() throws Exception {
    HttpClient bob = as(TestPki.clientCert(adminCa, "CN=bob,OU=SRE,O=Acme"));
    BeginTaskResponse task = begin(TaskKey.generate());
    assertThat(json(get(bob, "/v1/admin/tasks?state=active"), 200).get("tasks").findValuesAsText("task_id")).contains(task.taskId());
    assertThat(json(get(bob, "/v1/admin/whoami"), 200).get("subject").asText()).isEqualTo("CN=bob,OU=SRE,O=Acme");
    assertThat(json(end(bob, task.taskId(), null), 403).get("type").asText()).endsWith("/forbidden");
    stillActive(task.taskId());
  }

  @Test
  void unmappedSvidAndWrongPurposeCertificatesAreRefusedAndChangeNothing() throws Exception {
    TaskKey key = TaskKey.generate();
    BeginTaskResponse task = begin(key);

    // Of the admin CA, but mapped to no role: 403.
    HttpClient carol = as(TestPki.clientCert(adminCa, "CN=carol,O=Acme", "spiffe://acme.internal/ops/carol"));
    assertThat(json(get(carol, "/v1/admin/tasks"), 403).get("detail").asText()).contains("CN=carol,O=Acme").contains("admin.mtls.roles");
    assertThat(json(end(carol, task.taskId(), null), 403).get("type").asText()).endsWith("/forbidden");

    // The task's own X.509-SVID: the listener accepts it (token exchange), the admin API does not.
    List<X509Certificate> svid =
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(task.x509SvidChainPem().getBytes(StandardCharsets.US_ASCII)))
            .stream().map(c -> (X509Certificate) c).toList();
    HttpClient asSvid = TestPki.https(tls.cert(), svid, key.privateKey());
    assertThat(json(end(asSvid, task.taskId(), null), 401).get("detail").asText()).contains("admin CA");

    // Of the admin CA, mapped, but for TLS servers only.
    TestPki.Issued serverOnly =
        TestPki.leaf(adminCa, "CN=alice,O=Acme", List.of(ALICE), KeyPurposeId.id_kp_serverAuth, Instant.now(), Duration.ofHours(1));
    assertThat(json(end(as(serverOnly), task.taskId(), null), 401).get("detail").asText()).contains("client authentication");

    // A bearer header is the credential when there is one: a bad token is refused even over an operator's connection.
    HttpClient alice = as(TestPki.clientCert(adminCa, "CN=alice,O=Acme", ALICE));
    assertThat(json(end(alice, task.taskId(), "not-a-jwt"), 401).get("type").asText()).endsWith("/not-authenticated");

    // Without any credential, the answer says what would do.
    assertThat(json(end(client(), task.taskId(), null), 401).get("detail").asText()).contains("admin client certificate");
    stillActive(task.taskId());
  }

  @Test
  void certificatesOfAnotherCaOrExpiredOnesAreRefusedAtTheHandshake() throws Exception {
    BeginTaskResponse task = begin(TaskKey.generate());
    TestPki.Issued foreignCa = TestPki.ca("CN=Acme Admin CA,O=Acme"); // same name, other key
    HttpClient forged = as(TestPki.clientCert(foreignCa, "CN=alice,O=Acme", ALICE));
    assertThatThrownBy(() -> end(forged, task.taskId(), null)).isInstanceOf(IOException.class);
    TestPki.Issued expired =
        TestPki.leaf(adminCa, "CN=alice,O=Acme", List.of(ALICE), KeyPurposeId.id_kp_clientAuth, Instant.now().minus(Duration.ofHours(3)),
            Duration.ofHours(1));
    assertThatThrownBy(() -> end(as(expired), task.taskId(), null)).isInstanceOf(IOException.class);
    stillActive(task.taskId());
  }

  private static HttpClient client() throws Exception {
    return TestPki.https(tls.cert(), null, null);
  }
}
