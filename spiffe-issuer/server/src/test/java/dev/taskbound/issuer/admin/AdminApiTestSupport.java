package dev.taskbound.issuer.admin;

import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/** Tasks and evidence for admin tests on a dev-mode issuer. */
final class AdminApiTestSupport {
  private AdminApiTestSupport() {}

  static BeginTaskResponse begin(Issuer issuer) {
    return new IssuerClient(issuer.url())
        .begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud-1"), null);
  }

  /** The in-toto statement of a task's evidence bundle, as text. */
  static String statement(Issuer issuer, String taskId) throws Exception {
    byte[] bundle = new IssuerClient(issuer.url()).evidenceBundle(taskId);
    return new String(
        Base64.getDecoder().decode(ApiJson.mapper().readTree(bundle).at("/envelope/payload").asText()), StandardCharsets.UTF_8);
  }
}
