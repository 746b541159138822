package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskRequest;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.config.ConfigLoader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The issuer outside dev mode: HTTPS from PEM files, and the dev attestor is not there to be used. */
class ProductionModeTest {
  @TempDir Path dir;

  @Test
  void servesHttpsAndRefusesDevAttestation() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    KeyPair tlsKey = gen.generateKeyPair();
    Instant now = Instant.now();
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        new X500Name("CN=127.0.0.1"), BigInteger.TEN, Date.from(now.minus(1, ChronoUnit.HOURS)),
                        Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name("CN=127.0.0.1"), tlsKey.getPublic())
                    .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")))
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(tlsKey.getPrivate())));
    Files.writeString(dir.resolve("tls.crt"), pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(dir.resolve("tls.key"), pem("PRIVATE KEY", tlsKey.getPrivate().getEncoded()));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String url = "https://127.0.0.1:" + port;
    Files.writeString(
        dir.resolve("issuer.yaml"),
        String.join("\n",
            "trust_domain: prod.example",
            "issuer_url: " + url,
            "listen: 127.0.0.1:" + port,
            "data_dir: " + dir.resolve("data"),
            "tls: {cert_file: " + dir.resolve("tls.crt") + ", key_file: " + dir.resolve("tls.key") + "}",
            ""));

    try (Issuer issuer = Issuer.start(ConfigLoader.load(dir.resolve("issuer.yaml")), Clock.systemUTC())) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("issuer", cert);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).build();

      HttpResponse<String> bundle = https.send(HttpRequest.newBuilder(URI.create(url + "/bundle")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(bundle.statusCode()).isEqualTo(200);
      assertThat(ApiJson.mapper().readTree(bundle.body()).get("keys")).isNotEmpty();

      String token = "tbdev_" + "x".repeat(32);
      TaskKey key = TaskKey.generate();
      BeginTaskRequest begin =
          new BeginTaskRequest(new Attestation("dev", token), key.publicJwk(), key.proofOfPossession(url, token, Instant.now()), List.of(), null);
      HttpResponse<String> refused =
          https.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/tasks"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(ApiJson.mapper().writeValueAsString(begin)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(401);
      JsonNode problem = ApiJson.mapper().readTree(refused.body());
      assertThat(problem.get("type").asText()).endsWith("/attestation-failed");
      assertThat(problem.get("detail").asText()).contains("'dev' is not enabled");
      assertThat(issuer.store().listTasks(null, 10)).isEmpty();

      // Outside dev mode the admin API is never anonymous and has no login link; without an IdP nothing gets in.
      HttpResponse<String> admin =
          https.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/admin/tasks")).header("Authorization", "Bearer tbadm_" + "x".repeat(43)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(admin.statusCode()).isEqualTo(401);
      HttpResponse<String> login =
          https.send(
              HttpRequest.newBuilder(URI.create(url + "/v1/admin/login"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"code\":\"tblogin_x\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(login.statusCode()).isEqualTo(404);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
