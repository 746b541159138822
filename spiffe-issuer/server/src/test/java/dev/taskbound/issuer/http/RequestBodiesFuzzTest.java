package dev.taskbound.issuer.http;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * The bodies of the network-facing POST endpoints, sent to a real dev issuer on loopback: begin ({@code
 * /v1/tasks}, JSON), token exchange ({@code /token}) and introspection ({@code /introspect}, form-encoded). A refused
 * body is a 4xx; a 5xx means an exception escaped a parser. In the inputs, {@code @SVID@} stands for a live JWT-SVID
 * addressed to this issuer (introspection authenticates with it, too), so the seeds reach past authentication.
 * Seeds: {@code src/test/resources/.../RequestBodiesFuzzTestInputs}.
 */
class RequestBodiesFuzzTest {
  static final Issuer ISSUER;
  static final String SVID;
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  static {
    try {
      ISSUER = Issuer.start(
          ConfigLoader.override(ConfigLoader.dev(Files.createTempDirectory("request-bodies-fuzz")), true, "127.0.0.1:0", null),
          Clock.systemUTC());
    } catch (Exception e) {
      throw new IllegalStateException("the dev issuer does not start", e);
    }
    SVID = new IssuerClient(ISSUER.url())
        .begin(new Attestation("dev", ISSUER.mintDevToken(Duration.ofHours(1))), TaskKey.generate(), List.of(ISSUER.url()), null)
        .jwtSvids().stream().map(JwtSvidCredential::token).findFirst().orElseThrow();
  }

  @AfterAll
  static void stop() {
    ISSUER.close();
  }

  @FuzzTest(maxDuration = "30s")
  void beginBodiesAreAnsweredWithoutServerErrors(byte[] body) throws Exception {
    post("/v1/tasks", "application/json", body);
  }

  @FuzzTest(maxDuration = "30s")
  void tokenExchangeFormsAreAnsweredWithoutServerErrors(byte[] form) throws Exception {
    post("/token", "application/x-www-form-urlencoded", form);
  }

  @FuzzTest(maxDuration = "30s")
  void introspectionFormsAreAnsweredWithoutServerErrors(byte[] form) throws Exception {
    post("/introspect", "application/x-www-form-urlencoded", form);
  }

  private static void post(String path, String contentType, byte[] body) throws IOException, InterruptedException {
    byte[] sent = new String(body, StandardCharsets.ISO_8859_1).replace("@SVID@", SVID).getBytes(StandardCharsets.ISO_8859_1);
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create(ISSUER.url() + path))
            .header("Content-Type", contentType)
            .header("Authorization", "Bearer " + SVID)
            .POST(HttpRequest.BodyPublishers.ofByteArray(sent))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() >= 500) {
      throw new AssertionError(path + " answered " + response.statusCode() + " " + response.body());
    }
  }
}
