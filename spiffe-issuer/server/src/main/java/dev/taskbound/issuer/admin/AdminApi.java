package dev.taskbound.issuer.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.ProblemType;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.evidence.CredentialStatus;
import dev.taskbound.issuer.evidence.Event;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.http.HttpEndpoint;
import dev.taskbound.issuer.http.HttpReply;
import dev.taskbound.issuer.http.HttpRequestView;
import dev.taskbound.issuer.store.ApprovalRecord;
import dev.taskbound.issuer.store.ApprovalState;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import dev.taskbound.issuer.task.ApprovalRequests;
import dev.taskbound.issuer.task.TaskException;
import dev.taskbound.issuer.task.TaskLifecycle;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /v1/admin/…} (see docs/operations.md): read for every role, end a task for operators, approve or deny
 * approval requests for approvers. Every end is in the
 * evidence log ({@code operator.action}, with the operator's issuer, subject and role, and the reason) before the
 * task is ended; without the log nothing is ended.
 */
public final class AdminApi {
  public static final String PREFIX = "/v1/admin/";
  /** Most tasks a listing reads before filtering; filters narrow within the newest this many. */
  static final int SCAN = 1000;
  private static final Pattern TASK = Pattern.compile("tasks/(tsk_[a-z2-7]{26})(/end)?");
  private static final Pattern APPROVAL = Pattern.compile("approvals/([^/]+)(/approve|/deny)?");
  private static final int MAX_REASON = 1024;

  private final AdminAuthenticator auth;
  private final DevLogin devLogin;
  private final OidcLogin oidcLogin;
  private final Store store;
  private final TaskLifecycle tasks;
  private final EvidenceLog evidence;
  private final Supplier<PolicyInForce> policy;
  private final String issuerUrl;
  private final Clock clock;

  /**
   * @param devLogin dev mode's login link, or null outside dev mode
   * @param oidcLogin the dashboard's sign-in through the IdP, or null when not configured
   */
  public AdminApi(
      AdminAuthenticator auth, DevLogin devLogin, OidcLogin oidcLogin, Store store, TaskLifecycle tasks, EvidenceLog evidence,
      Supplier<PolicyInForce> policy, String issuerUrl, Clock clock) {
    this.auth = auth;
    this.devLogin = devLogin;
    this.oidcLogin = oidcLogin;
    this.store = store;
    this.tasks = tasks;
    this.evidence = evidence;
    this.policy = policy;
    this.issuerUrl = issuerUrl;
    this.clock = clock;
  }

  public List<HttpEndpoint> endpoints() {
    return List.of(endpoint("GET"), endpoint("POST"));
  }

  private HttpEndpoint endpoint(String method) {
    return HttpEndpoint.of(
        method, PREFIX,
        request -> route(method, request.path().substring(PREFIX.length()), request).withHeader("Cache-Control", "no-store"));
  }

  private HttpReply route(String method, String path, HttpRequestView request) {
    if (path.equals("login")) {
      return method.equals("POST") ? login(request) : json(loginMethods());
    }
    if (method.equals("POST") && path.startsWith("oidc/")) {
      return oidc(path.substring("oidc/".length()), body(request.body()));
    }
    Operator operator = auth.authenticate(request.header("Authorization"), request.clientCertificates());
    if (method.equals("GET")) {
      return switch (path) {
        case "whoami" -> json(whoami(operator));
        case "tasks" -> json(listTasks(request.query()));
        case "credentials/after-task-end" -> json(afterTaskEnd(request.query()));
        case "exposure" -> json(exposure(request.query()));
        case "controllers" -> json(controllers());
        case "policy" -> json(ApiJson.mapper().valueToTree(policy.get()));
        case "approvals" -> json(listApprovals(request.query()));
        default -> {
          Matcher a = APPROVAL.matcher(path);
          if (a.matches() && a.group(2) == null) {
            yield json(approvalJson(tasks.approvals().find(a.group(1))));
          }
          Matcher m = TASK.matcher(path);
          if (m.matches() && m.group(2) == null) {
            yield json(showTask(m.group(1)));
          }
          throw notFound(path);
        }
      };
    }
    Matcher a = APPROVAL.matcher(path);
    if (a.matches() && a.group(2) != null) {
      return json(decide(operator, a.group(1), a.group(2).equals("/approve"), request.body()));
    }
    Matcher m = TASK.matcher(path);
    if (!m.matches() || m.group(2) == null) {
      throw notFound(path);
    }
    return json(ApiJson.mapper().valueToTree(end(operator, m.group(1), request.body())));
  }

  // ---- login (dev mode) -------------------------------------------------------------------------------------

  private HttpReply login(HttpRequestView request) {
    if (devLogin == null) {
      throw new TaskException(ProblemType.NOT_FOUND, "the login link exists in dev mode only; use a token from your IdP");
    }
    String code = body(request.body()).path("code").asText(null);
    AdminSessions.Session session =
        devLogin.login(code).orElseThrow(() -> AdminAuthenticator.unauthenticated("the login code is unknown, spent or expired"));
    ObjectNode out = ApiJson.mapper().createObjectNode();
    out.put("token", session.token());
    out.put("expires_at", session.expiresAt().toString());
    return json(out);
  }

  /** How the dashboard may log in here: dev mode's link, the IdP. */
  private ObjectNode loginMethods() {
    ObjectNode out = ApiJson.mapper().createObjectNode();
    ArrayNode methods = out.putArray("methods");
    if (devLogin != null) {
      methods.add("dev-link");
    }
    if (oidcLogin != null) {
      methods.add("oidc");
    }
    return out;
  }

  // ---- login through the IdP: authorization code + PKCE, the issuer redeems the code ----------------------

  private HttpReply oidc(String step, JsonNode body) {
    if (oidcLogin == null) {
      throw new TaskException(ProblemType.NOT_FOUND, "sign-in through the IdP is not configured here (admin.oidc.login)");
    }
    ObjectNode out = ApiJson.mapper().createObjectNode();
    switch (step) {
      case "start" -> out.put("authorization_url", oidcLogin.start(body.path("client_nonce").asText(null)).toString());
      case "callback" -> {
        AdminSessions.Session session =
            oidcLogin.finish(body.path("code").asText(null), body.path("state").asText(null), body.path("client_nonce").asText(null));
        out.put("token", session.token());
        out.put("expires_at", session.expiresAt().toString());
      }
      default -> throw notFound("oidc/" + step);
    }
    return json(out);
  }

  private static ObjectNode whoami(Operator operator) {
    ObjectNode out = ApiJson.mapper().createObjectNode();
    out.put("issuer", operator.issuer());
    out.put("subject", operator.subject());
    ArrayNode roles = out.putArray("roles");
    operator.roles().stream().map(Role::wire).sorted().forEach(roles::add);
    if (operator.groups() != null) {
      ArrayNode groups = out.putArray("groups");
      operator.groups().stream().sorted().forEach(groups::add);
    }
    return out;
  }

  // ---- tasks ------------------------------------------------------------------------------------------------

  private ObjectNode listTasks(Map<String, List<String>> query) {
    String state = one(query, "state");
    TaskState wanted =
        state == null ? null
            : switch (state) {
              case "active" -> TaskState.ACTIVE;
              case "ended" -> TaskState.ENDED;
              default -> throw malformed("state must be active or ended");
            };
    Predicate<TaskRecord> filter = t -> true;
    String platform = one(query, "platform");
    if (platform != null) {
      filter = filter.and(t -> platform.equals(t.context().get("platform")) || platform.equals(t.attestor()));
    }
    for (String key : List.of("repository", "job")) {
      String value = one(query, key);
      if (value != null) {
        filter = filter.and(t -> value.equals(t.context().get(key)));
      }
    }
    Instant since = instant(query, "since");
    Instant until = instant(query, "until");
    if (since != null) {
      filter = filter.and(t -> !t.createdAt().isBefore(since));
    }
    if (until != null) {
      filter = filter.and(t -> t.createdAt().isBefore(until));
    }
    int limit = limit(query);
    ObjectNode out = ApiJson.mapper().createObjectNode();
    ArrayNode list = out.putArray("tasks");
    store.listTasks(wanted, SCAN).stream().filter(filter).limit(limit).forEach(t -> list.add(summary(t)));
    return out;
  }

  private ObjectNode showTask(String taskId) {
    TaskRecord task = store.findTask(taskId).orElseThrow(() -> new TaskException(ProblemType.NOT_FOUND, "no task " + taskId));
    ObjectNode out = summary(task);
    ObjectNode context = out.putObject("context");
    task.context().forEach(context::put);
    out.putPOJO("audiences", task.audiences());
    out.put("public_key_thumbprint", task.publicKeyThumbprint());
    ArrayNode credentials = out.putArray("credentials");
    store.credentialsOf(taskId).forEach(c -> credentials.add(credential(c, task)));
    out.put("evidence_url", issuerUrl + "/evidence/tasks/" + taskId);
    return out;
  }

  private EndTaskResponse end(Operator operator, String taskId, byte[] body) {
    if (!operator.may(Role.OPERATOR)) {
      throw new TaskException(ProblemType.FORBIDDEN, "ending a task needs the operator role");
    }
    JsonNode request = body(body);
    String reason = request.path("reason").asText(null);
    if (reason == null || reason.isBlank() || reason.length() > MAX_REASON) {
      throw malformed("reason is required (at most " + MAX_REASON + " characters)");
    }
    TaskRecord task = store.findTask(taskId).orElseThrow(() -> new TaskException(ProblemType.NOT_FOUND, "no task " + taskId));
    if (task.active()) {
      try {
        // The action is evidence before it takes effect: without the log, nothing is ended.
        evidence.append(
            List.of(Event.operatorAction(
                taskId, clock.instant(), operator.issuer(), operator.subject(), operator.roleFor(Role.OPERATOR), "task.end", reason)));
      } catch (RuntimeException e) {
        throw new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the evidence log is unavailable; nothing was ended, retry", e);
      }
    }
    return tasks.endAsOperator(taskId, TaskOutcome.REVOKED, "ended by " + operator.subject() + ": " + reason);
  }

  // ---- approvals --------------------------------------------------------------------------------------------

  private ObjectNode listApprovals(Map<String, List<String>> query) {
    String state = one(query, "state");
    ApprovalState wanted;
    try {
      wanted = state == null ? null : ApprovalState.valueOf(state.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw malformed("state must be one of pending, approved, denied, expired, withdrawn, issued");
    }
    ObjectNode out = ApiJson.mapper().createObjectNode();
    ArrayNode list = out.putArray("approvals");
    tasks.approvals().list(wanted, limit(query)).forEach(r -> list.add(approvalJson(r)));
    return out;
  }

  /** Approve or deny as the authenticated approver (role {@code approver}); the evidence names them. */
  private ObjectNode decide(Operator operator, String approvalId, boolean approve, byte[] body) {
    if (!operator.may(Role.APPROVER)) {
      throw new TaskException(ProblemType.FORBIDDEN, "approving or denying needs the approver role");
    }
    // Their IdP token's groups must include the rule's approvers (dev mode's login is trusted as named).
    ApprovalRequests.Approver approver = new ApprovalRequests.Approver(operator.issuer(), operator.subject(), operator.groups());
    if (approve) {
      return approvalJson(tasks.approvals().approve(approvalId, approver));
    }
    String reason = body(body).path("reason").asText(null);
    return approvalJson(tasks.approvals().deny(approvalId, approver, reason));
  }

  /** An approval request for approvers: who asked, in which context, for what; never its request token. */
  private ObjectNode approvalJson(ApprovalRecord r) {
    ObjectNode o = ApiJson.mapper().createObjectNode();
    o.put("approval_id", r.approvalId());
    o.put("state", r.state().name().toLowerCase(java.util.Locale.ROOT));
    o.put("approvers", r.approvers());
    o.put("min_approvers", r.minApprovers());
    o.putPOJO("approved_by", r.approvedBy());
    putIfPresent(o, "requester", r.requester());
    o.put("attestor", r.attestor());
    ObjectNode context = o.putObject("context");
    r.context().forEach(context::put);
    o.put("spiffe_id", r.spiffeId());
    o.put("policy_rule", r.policyRule());
    o.putPOJO("audiences", r.audiences());
    o.put("task_id", r.taskId());
    o.put("created_at", r.createdAt().toString());
    o.put("expires_at", r.expiresAt().toString());
    if (r.decidedAt() != null) {
      o.put("decided_at", r.decidedAt().toString());
    }
    putIfPresent(o, "decided_by", r.decidedBy());
    putIfPresent(o, "reason", r.reason());
    o.put("url", tasks.approvals().url(r.approvalId()));
    o.put("evidence_url", issuerUrl + "/evidence/tasks/" + r.taskId());
    return o;
  }

  // ---- credentials, controllers -----------------------------------------------------------------------------

  private ObjectNode afterTaskEnd(Map<String, List<String>> query) {
    String revoked = one(query, "revoked");
    if (revoked != null && !revoked.equals("true") && !revoked.equals("false")) {
      throw malformed("revoked must be true or false");
    }
    int limit = limit(query);
    ObjectNode out = ApiJson.mapper().createObjectNode();
    ArrayNode list = out.putArray("credentials");
    store.credentialsValidAfterTaskEnd(clock.instant(), SCAN).stream()
        .filter(c -> revoked == null || (c.revokedAt() != null) == Boolean.parseBoolean(revoked))
        .limit(limit)
        .forEach(c -> {
          ObjectNode o = credential(c, store.findTask(c.taskId()).orElse(null));
          o.put("task_id", c.taskId());
          list.add(o);
        });
    return out;
  }

  /**
   * Per task, newest first: when it began and ended, how long it lived, and its residual exposure — the longest any
   * of its credentials stayed valid past its revocation (or the task's end). The dashboard charts these over time.
   */
  private ObjectNode exposure(Map<String, List<String>> query) {
    int limit = limit(query);
    Instant now = clock.instant();
    ObjectNode out = ApiJson.mapper().createObjectNode();
    ArrayNode list = out.putArray("tasks");
    for (TaskRecord t : store.listTasks(null, limit)) {
      ObjectNode o = list.addObject();
      o.put("task_id", t.taskId());
      o.put("state", t.state().name().toLowerCase(java.util.Locale.ROOT));
      if (t.outcome() != null) {
        o.put("outcome", t.outcome().wire());
      }
      o.put("begun_at", t.createdAt().toString());
      Instant end = t.endedAt() != null ? t.endedAt() : now;
      if (t.endedAt() != null) {
        o.put("ended_at", t.endedAt().toString());
      }
      o.put("lifetime_seconds", Math.max(0, java.time.Duration.between(t.createdAt(), end).toSeconds()));
      if (t.endedAt() != null) {
        long residual = 0;
        for (CredentialRecord c : store.credentialsOf(t.taskId())) {
          Instant cut = c.revokedAt() != null ? c.revokedAt() : t.endedAt();
          residual = Math.max(residual, CredentialStatus.residualExposureSeconds(c.expiresAt().getEpochSecond(), cut.getEpochSecond()));
        }
        o.put("residual_exposure_seconds", residual);
      }
    }
    return out;
  }

  private ObjectNode controllers() {
    ObjectNode out = ApiJson.mapper().createObjectNode();
    ArrayNode list = out.putArray("controllers");
    for (ControllerRecord c : store.listControllers()) {
      ObjectNode o = list.addObject();
      o.put("name", c.name());
      o.put("keys", c.jwksUrl() != null ? "url" : "inline");
      if (c.jwksUrl() != null) {
        o.put("jwks_url", c.jwksUrl());
      }
      o.put("registered_at", c.registeredAt().toString());
    }
    return out;
  }

  // ---- JSON -------------------------------------------------------------------------------------------------

  private static ObjectNode summary(TaskRecord t) {
    ObjectNode o = ApiJson.mapper().createObjectNode();
    o.put("task_id", t.taskId());
    o.put("state", t.state().name().toLowerCase(java.util.Locale.ROOT));
    if (t.outcome() != null) {
      o.put("outcome", t.outcome().wire());
    }
    o.put("spiffe_id", t.spiffeId());
    o.put("attestor", t.attestor());
    putIfPresent(o, "platform", t.context().get("platform"));
    putIfPresent(o, "repository", t.context().get("repository"));
    putIfPresent(o, "job", t.context().get("job"));
    o.put("policy_rule", t.policyRule());
    putIfPresent(o, "policy_version", t.policyVersion());
    o.put("created_at", t.createdAt().toString());
    o.put("expires_at", t.expiresAt().toString());
    if (t.endedAt() != null) {
      o.put("ended_at", t.endedAt().toString());
    }
    putIfPresent(o, "end_reason", t.endReason());
    return o;
  }

  /** A credential by its identifiers, with its residual exposure once revoked or once its task ended. */
  private static ObjectNode credential(CredentialRecord c, TaskRecord task) {
    ObjectNode o = ApiJson.mapper().createObjectNode();
    o.put("kind", c.kind().wire());
    o.put("id", c.credentialId());
    putIfPresent(o, "audience", c.audience());
    o.put("not_before", c.notBefore().toString());
    o.put("expires_at", c.expiresAt().toString());
    Instant cut = c.revokedAt() != null ? c.revokedAt() : task != null ? task.endedAt() : null;
    if (c.revokedAt() != null) {
      o.put("revoked_at", c.revokedAt().toString());
    }
    if (cut != null) {
      o.put("residual_exposure_seconds", CredentialStatus.residualExposureSeconds(c.expiresAt().getEpochSecond(), cut.getEpochSecond()));
    }
    return o;
  }

  private static void putIfPresent(ObjectNode o, String name, String value) {
    if (value != null) {
      o.put(name, value);
    }
  }

  private static HttpReply json(JsonNode body) {
    return HttpReply.json(200, body.toString());
  }

  private static JsonNode body(byte[] body) {
    try {
      JsonNode node = body.length == 0 ? null : ApiJson.mapper().readTree(body);
      if (node == null || !node.isObject()) {
        throw malformed("the body must be a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw malformed("the body is not valid JSON");
    }
  }

  private static String one(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw malformed("query parameter " + name + " given more than once");
    }
    return values.get(0);
  }

  private static Instant instant(Map<String, List<String>> query, String name) {
    String value = one(query, name);
    try {
      return value == null ? null : Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw malformed(name + " must be an RFC 3339 UTC time such as 2025-01-31T12:00:00Z");
    }
  }

  private static int limit(Map<String, List<String>> query) {
    String value = one(query, "limit");
    if (value == null) {
      return 100;
    }
    if (!value.matches("\\d{1,4}") || Integer.parseInt(value) < 1 || Integer.parseInt(value) > SCAN) {
      throw malformed("limit must be between 1 and " + SCAN);
    }
    return Integer.parseInt(value);
  }

  private static TaskException malformed(String detail) {
    return new TaskException(ProblemType.MALFORMED_REQUEST, detail);
  }

  private static TaskException notFound(String path) {
    return new TaskException(ProblemType.NOT_FOUND, "no such admin resource: " + PREFIX + path);
  }
}
