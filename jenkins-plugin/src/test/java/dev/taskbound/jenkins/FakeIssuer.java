package dev.taskbound.jenkins;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for the issuer's task API on loopback (the real issuer is tested end to end in the server module):
 * records run statements, renewals and ends, and hands out JWT-shaped tokens so masking can be checked.
 */
final class FakeIssuer implements AutoCloseable {
  private final ObjectMapper json = new ObjectMapper();
  private final HttpServer server;
  final List<String> statements = new CopyOnWriteArrayList<>();
  final Map<String, String> endedOutcomes = new ConcurrentHashMap<>();
  final Map<String, String> tokens = new ConcurrentHashMap<>();
  final Map<String, Integer> renewals = new ConcurrentHashMap<>();
  final Map<String, List<String>> audiences = new ConcurrentHashMap<>();
  final List<String> exchanged = new CopyOnWriteArrayList<>();
  volatile long renewAfterSeconds = 300;
  /** When set, every end answers this outcome, as the real issuer does for a task its reaper ended first. */
  volatile String endOutcomeOverride;

  FakeIssuer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/v1/tasks", this::handle);
    server.createContext("/token", this::token);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    byte[] raw = ex.getRequestBody().readAllBytes();
    JsonNode body = raw.length == 0 ? json.createObjectNode() : json.readTree(raw);
    try {
      if (path.equals("/v1/tasks")) {
        statements.add(body.path("attestation").path("token").asText());
        List<String> auds = new java.util.ArrayList<>();
        body.path("audiences").forEach(a -> auds.add(a.asText()));
        reply(ex, 201, begin(auds));
      } else if (path.endsWith("/renew")) {
        String id = path.split("/")[3];
        renewals.merge(id, 1, Integer::sum);
        reply(ex, 200, credentials(id));
      } else if (path.endsWith("/end")) {
        String id = path.split("/")[3];
        endedOutcomes.put(id, body.path("outcome").asText());
        reply(ex, 200, end(id, endOutcomeOverride != null ? endOutcomeOverride : body.path("outcome").asText()));
      } else {
        reply(ex, 404, json.createObjectNode().put("detail", "no such endpoint"));
      }
    } finally {
      ex.close();
    }
  }

  /** RFC 8693 exchange: a JWT-shaped downstream token for the form's {@code audience}. */
  private void token(HttpExchange ex) throws IOException {
    try {
      String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String audience = java.net.URLDecoder.decode(form.replaceAll(".*audience=([^&]*).*", "$1"), StandardCharsets.UTF_8);
      exchanged.add(audience);
      reply(ex, 200, json.createObjectNode().put("access_token", jwt("downstream-" + audience))
          .put("issued_token_type", "urn:ietf:params:oauth:token-type:jwt").put("token_type", "N_A").put("expires_in", 600));
    } finally {
      ex.close();
    }
  }

  private ObjectNode begin(List<String> requested) {
    String id = "tsk_" + UUID.randomUUID().toString().replace("-", "");
    audiences.put(id, requested.isEmpty() ? List.of("sts.amazonaws.com") : requested);
    ObjectNode r = credentials(id);
    r.put("control_token", "tbc_" + UUID.randomUUID().toString().replace("-", ""));
    return r;
  }

  private ObjectNode credentials(String id) {
    Instant now = Instant.now();
    String token = jwt(id);
    tokens.put(id, token);
    ObjectNode r = json.createObjectNode();
    r.put("task_id", id);
    r.put("spiffe_id", "spiffe://taskbound.test/ci/jenkins/test/job/p/build/1/step/3");
    r.put("expires_at", now.plusSeconds(600).toString());
    r.put("renew_after", now.plusSeconds(renewAfterSeconds).toString());
    r.put("x509_svid_chain_pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    r.put("bundle_pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    ArrayNode jwts = r.putArray("jwt_svids");
    for (String audience : audiences.getOrDefault(id, List.of("sts.amazonaws.com"))) {
      jwts.addObject().put("audience", audience).put("token", audience.equals("sts.amazonaws.com") ? token : jwt(id + audience))
          .put("expires_at", now.plusSeconds(600).toString());
    }
    return r;
  }

  private ObjectNode end(String id, String outcome) {
    ObjectNode r = json.createObjectNode();
    r.put("task_id", id);
    r.put("outcome", outcome);
    r.put("ended_at", Instant.now().toString());
    r.putArray("revoked").addObject().put("kind", "jwt-svid").put("id", "j1")
        .put("expires_at", Instant.now().plusSeconds(600).toString()).put("revoked_at", Instant.now().toString())
        .put("residual_exposure_seconds", 42);
    r.put("evidence_url", url() + "/evidence/tasks/" + id);
    return r;
  }

  private void reply(HttpExchange ex, int status, ObjectNode body) throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private static String jwt(String id) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return "eyJ" + b64.encodeToString("{\"alg\":\"ES256\"}".getBytes(StandardCharsets.UTF_8)).substring(3) + ".eyJ"
        + b64.encodeToString(("{\"sub\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8)).substring(3) + "."
        + b64.encodeToString(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
