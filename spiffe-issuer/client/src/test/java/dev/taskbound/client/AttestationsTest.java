package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.api.Attestation;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttestationsTest {
  @TempDir Path tmp;

  @Test
  void gitHubActionsTokenIsRequestedForTheIssuerAudienceWithTheRuntimeBearer() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    AtomicReference<String> query = new AtomicReference<>();
    AtomicReference<String> auth = new AtomicReference<>();
    server.createContext("/token", ex -> {
      query.set(ex.getRequestURI().getRawQuery());
      auth.set(ex.getRequestHeaders().getFirst("Authorization"));
      byte[] body = "{\"count\":1,\"value\":\"gh.oidc.jwt\"}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/token?api-version=2.0";
      Attestation a = Attestations.fromGitHubActions(
          Map.of(Attestations.GITHUB_REQUEST_URL, url, Attestations.GITHUB_REQUEST_TOKEN, "runtime-secret"), "https://issuer.example:8443");
      assertThat(a.type()).isEqualTo("github");
      assertThat(a.token()).isEqualTo("gh.oidc.jwt");
      assertThat(query.get()).isEqualTo("api-version=2.0&audience=https%3A%2F%2Fissuer.example%3A8443");
      assertThat(auth.get()).isEqualTo("bearer runtime-secret");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void outsideGitHubActionsTheErrorSaysWhatIsMissing() {
    assertThatThrownBy(() -> Attestations.fromGitHubActions(Map.of(), "https://i")).hasMessageContaining("ACTIONS_ID_TOKEN_REQUEST_URL");
  }

  @Test
  void oidcTokenFromFileOrVariableWithTheGivenType() throws Exception {
    Path f = Files.writeString(tmp.resolve("t"), "  header.payload.sig\n");
    assertThat(Attestations.fromFile("oidc:gitlab", f)).isEqualTo(new Attestation("oidc:gitlab", "header.payload.sig"));
    assertThat(Attestations.fromEnv("oidc:circleci", Map.of("CIRCLE_OIDC_TOKEN_V2", "x.y.z"), "CIRCLE_OIDC_TOKEN_V2").type())
        .isEqualTo("oidc:circleci");
    assertThatThrownBy(() -> Attestations.fromEnv("oidc:x", Map.of(), "NOPE")).hasMessageContaining("NOPE");
    assertThatThrownBy(() -> Attestations.fromFile("oidc:../x", f)).hasMessageContaining("attestation type");
  }
}
