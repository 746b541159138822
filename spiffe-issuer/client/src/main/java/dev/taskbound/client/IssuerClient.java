package dev.taskbound.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskRequest;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.CollectTaskRequest;
import dev.taskbound.api.EndTaskRequest;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.Problem;
import dev.taskbound.api.ProblemType;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.api.TaskView;
import dev.taskbound.client.evidence.ConsistencyProof;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The issuer's task API v1 over the JDK HTTP client. Thread-safe. */
public final class IssuerClient {
  static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  static final String JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
  private final String issuerUrl;
  private final HttpClient http;
  private final Clock clock;
  private final Duration timeout;
  private final ObjectMapper json = ApiJson.mapper();

  /** @param issuerUrl the issuer's base URL, exactly as its discovery document names it (no trailing slash) */
  public IssuerClient(String issuerUrl, HttpClient http, Clock clock, Duration timeout) {
    this.issuerUrl = issuerUrl.endsWith("/") ? issuerUrl.substring(0, issuerUrl.length() - 1) : issuerUrl;
    this.http = http;
    this.clock = clock;
    this.timeout = timeout;
  }

  public IssuerClient(String issuerUrl) {
    this(
        issuerUrl,
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
        Clock.systemUTC(),
        Duration.ofSeconds(30));
  }

  public String issuerUrl() {
    return issuerUrl;
  }

  /**
   * Begins a task: proves possession of {@code key} and presents {@code attestation}. Under a policy rule that needs
   * approval this fails (the attestation is spent on the request); callers that can wait use {@link #start}.
   */
  public BeginTaskResponse begin(Attestation attestation, TaskKey key, List<String> audiences, String ttl) {
    return start(attestation, key, audiences, ttl).taskOrRefuse();
  }

  /** What a begin produced: the task ({@code 201}), or an approval request to wait for ({@code 202}). */
  public record Started(BeginTaskResponse task, ApprovalView approval) {
    /** The task; for a caller that cannot wait, an approval request is a refusal naming who must approve. */
    BeginTaskResponse taskOrRefuse() {
      if (approval != null) {
        String detail = "the task needs approval by " + approval.approvers() + " (" + approval.url() + "); this caller cannot wait for it";
        throw new IssuerException(202, ProblemType.APPROVAL_PENDING.problem(detail, "/v1/approvals/" + approval.approvalId()), detail);
      }
      return task;
    }
  }

  /** Begins a task, or learns that it waits for approval (then {@link #awaitApproval} and {@link #collect}). */
  public Started start(Attestation attestation, TaskKey key, List<String> audiences, String ttl) {
    String proof = key.proofOfPossession(issuerUrl, attestation.token(), clock.instant());
    BeginTaskRequest body = new BeginTaskRequest(attestation, key.publicJwk(), proof, audiences, ttl);
    return started(exchange(post("/v1/tasks", body, null)));
  }

  private Started started(HttpResponse<byte[]> response) {
    if (response.statusCode() == 202) {
      return new Started(null, parse(response.body(), ApprovalView.class, "/v1/tasks"));
    }
    return new Started(parse(response.body(), BeginTaskResponse.class, "/v1/tasks"), null);
  }

  /** The approval request as it stands ({@code GET /v1/approvals/{id}}, with the request token of the 202). */
  public ApprovalView approval(String approvalId, String requestToken) {
    return send(base("/v1/approvals/" + approvalId, requestToken).GET().build(), ApprovalView.class);
  }

  /**
   * The approval request once it differs from pending-as-last-seen, long-polling ({@code ?wait=}): the issuer answers
   * as soon as it changes, or after {@code wait} (it caps the wait at 25 s) with the request still pending.
   */
  public ApprovalView approval(String approvalId, String requestToken, Duration wait) {
    HttpRequest request =
        base("/v1/approvals/" + approvalId + "?wait=" + Math.max(1, wait.toSeconds()) + "s", requestToken)
            .timeout(wait.plus(timeout))
            .GET()
            .build();
    return send(request, ApprovalView.class);
  }

  /** Withdraws an approval request (the step was aborted while waiting). */
  public ApprovalView withdraw(String approvalId, String requestToken) {
    return send(base("/v1/approvals/" + approvalId, requestToken).DELETE().build(), ApprovalView.class);
  }

  /** The task of an approved request, for a fresh proof by the key given with the begin. */
  public BeginTaskResponse collect(String approvalId, String requestToken, TaskKey key) {
    String proof = key.proofForApproval(issuerUrl, approvalId, clock.instant());
    return send(post("/v1/approvals/" + approvalId + "/task", new CollectTaskRequest(proof), requestToken), BeginTaskResponse.class);
  }

  /**
   * Begins a task whose key lives elsewhere (a Jenkins agent): {@code publicJwk} and {@code proof} were made there,
   * the proof over this attestation's digest ({@link TaskKey#proofOfPossessionForDigest}).
   */
  public BeginTaskResponse begin(
      Attestation attestation, Map<String, Object> publicJwk, String proof, List<String> audiences, String ttl) {
    return start(attestation, publicJwk, proof, audiences, ttl).taskOrRefuse();
  }

  /** {@link #start(Attestation, TaskKey, List, String)} for a key that lives elsewhere (see {@link #begin(Attestation, Map, String, List, String)}). */
  public Started start(Attestation attestation, Map<String, Object> publicJwk, String proof, List<String> audiences, String ttl) {
    return started(exchange(post("/v1/tasks", new BeginTaskRequest(attestation, publicJwk, proof, audiences, ttl), null)));
  }

  /** The task of an approved request, with a proof made where its key lives ({@link TaskKey#proofForApproval}). */
  public BeginTaskResponse collect(String approvalId, String requestToken, String proof) {
    return send(post("/v1/approvals/" + approvalId + "/task", new CollectTaskRequest(proof), requestToken), BeginTaskResponse.class);
  }

  public RenewTaskResponse renew(String taskId, String controlToken) {
    HttpRequest req =
        base("/v1/tasks/" + taskId + "/renew", controlToken).POST(HttpRequest.BodyPublishers.noBody()).build();
    return send(req, RenewTaskResponse.class);
  }

  /** Ends a task; safe to repeat (the issuer answers the same for every repeat). */
  public EndTaskResponse end(String taskId, String controlToken, String outcome, String reason) {
    return send(post("/v1/tasks/" + taskId + "/end", new EndTaskRequest(outcome, reason), controlToken), EndTaskResponse.class);
  }

  /**
   * Exchanges a JWT-SVID whose {@code aud} is this issuer for a downstream token for {@code audience} (RFC 8693,
   * {@code POST /token}). The issuer records it as a credential of the task and revokes it when the task ends.
   */
  public DownstreamToken exchange(String subjectJwtSvid, String audience) {
    String form = "grant_type=" + enc(TOKEN_EXCHANGE) + "&subject_token_type=" + enc(JWT_TOKEN_TYPE)
        + "&subject_token=" + enc(subjectJwtSvid) + "&audience=" + enc(audience);
    HttpRequest req = base("/token", null)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form))
        .build();
    Instant issuedAt = clock.instant();
    JsonNode answer;
    try {
      answer = json.readTree(sendRaw(req));
    } catch (IOException e) {
      throw new IssuerException("the issuer's answer to /token does not parse", e);
    }
    String token = answer.path("access_token").asText(null);
    long expiresIn = answer.path("expires_in").asLong(-1);
    if (token == null || expiresIn <= 0) {
      throw new IssuerException("the issuer's answer to /token has no access_token or expires_in", null);
    }
    return new DownstreamToken(audience, token, issuedAt, issuedAt.plusSeconds(expiresIn));
  }

  public TaskView get(String taskId, String controlToken) {
    return send(base("/v1/tasks/" + taskId, controlToken).GET().build(), TaskView.class);
  }

  /** The SPIFFE trust bundle (JWKS form) as served at {@code /bundle}. */
  public String bundleJson() {
    return new String(sendRaw(base("/bundle", null).GET().build()), StandardCharsets.UTF_8);
  }

  /**
   * The evidence log's verifier key ({@code name+hash+base64}) as the issuer serves it. Trusting a key fetched this
   * way is only as good as the connection it came over; pin the key instead where you can.
   */
  public String evidenceKey() {
    return text("/evidence/key").strip();
  }

  /** The newest signed checkpoint of the evidence log (C2SP signed note). */
  public String evidenceCheckpoint() {
    return text("/evidence/checkpoint");
  }

  /** The evidence bundle of one task, byte for byte as served (verify it with the log key before trusting it). */
  public byte[] evidenceBundle(String taskId) {
    return sendRaw(base("/evidence/tasks/" + taskId, null).GET().build());
  }

  /** The log's consistency proof between tree sizes {@code from} and {@code to}. */
  public ConsistencyProof consistencyProof(long from, long to) {
    byte[] body = sendRaw(base("/evidence/proof/consistency?from=" + from + "&to=" + to, null).GET().build());
    try {
      return ConsistencyProof.parse(body);
    } catch (RuntimeException e) {
      throw new IssuerException("the issuer's consistency proof does not parse: " + e.getMessage(), e);
    }
  }

  private String text(String path) {
    return new String(sendRaw(base(path, null).GET().build()), StandardCharsets.UTF_8);
  }

  private HttpRequest post(String path, Object body, String controlToken) {
    try {
      return base(path, controlToken)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)))
          .build();
    } catch (IOException e) {
      throw new IllegalStateException("request does not serialise", e);
    }
  }

  private HttpRequest.Builder base(String path, String controlToken) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(issuerUrl + path)).timeout(timeout).header("Accept", "application/json");
    if (controlToken != null) {
      b.header("Authorization", "Bearer " + controlToken);
    }
    return b;
  }

  private <T> T send(HttpRequest request, Class<T> type) {
    return parse(sendRaw(request), type, request.uri().getPath());
  }

  private <T> T parse(byte[] body, Class<T> type, String path) {
    try {
      return json.readValue(body, type);
    } catch (IOException e) {
      throw new IssuerException("the issuer's answer to " + path + " does not parse", e);
    }
  }

  private byte[] sendRaw(HttpRequest request) {
    return exchange(request).body();
  }

  /** Sends {@code request}; any 2xx answer is returned, anything else is an {@link IssuerException}. */
  private HttpResponse<byte[]> exchange(HttpRequest request) {
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new IssuerException("issuer unreachable at " + issuerUrl + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IssuerException("interrupted while calling the issuer", e);
    }
    int status = response.statusCode();
    if (status / 100 == 2) {
      return response;
    }
    Problem problem = null;
    try {
      problem = json.readValue(response.body(), Problem.class);
    } catch (IOException | RuntimeException ignored) {
      // Not a problem document (a proxy's HTML error page, say): report the status alone.
    }
    String detail = problem != null && problem.detail() != null ? problem.detail() : oauthError(response.body(), status);
    throw new IssuerException(status, problem, "issuer refused " + request.method() + " " + request.uri().getPath() + ": " + detail);
  }

  /** An RFC 6749 §5.2 error ({@code /token}, {@code /introspect}) as a sentence; the bare status otherwise. */
  private String oauthError(byte[] body, int status) {
    try {
      JsonNode e = json.readTree(body);
      if (e != null && e.hasNonNull("error")) {
        String description = e.path("error_description").asText("");
        return e.get("error").asText() + (description.isEmpty() ? "" : ": " + description);
      }
    } catch (IOException | RuntimeException ignored) {
      // Not JSON at all: the status says enough.
    }
    return "HTTP " + status;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
