package dev.taskbound.issuer.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.config.HumanDuration;
import dev.taskbound.issuer.evidence.ExceptionEvents;
import dev.taskbound.issuer.exceptions.StandingExceptions;
import dev.taskbound.issuer.http.HttpEndpoint;
import dev.taskbound.issuer.http.HttpReply;
import dev.taskbound.issuer.http.HttpRequestView;
import dev.taskbound.issuer.store.ExceptionRecord;
import dev.taskbound.issuer.store.ExceptionState;
import dev.taskbound.issuer.task.TaskException;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /v1/admin/exceptions…} (see docs/operations.md): the standing-privilege exception register. Every role
 * reads; the operator role adds, reviews and revokes, each change in the evidence log with the operator's issuer,
 * subject and role, in the same write as the change. Authenticated as the rest of the admin API.
 */
public final class ExceptionsApi {
  public static final String PATH = AdminApi.PREFIX + "exceptions";
  private static final Pattern ONE = Pattern.compile("([^/]+)(/review|/revoke)?");
  private static final Set<String> ADD_FIELDS = Set.of("identity", "scope", "owner", "reason", "expires_at");
  private static final Set<String> REVIEW_FIELDS = Set.of("note", "expires_at");
  private static final Set<String> REVOKE_FIELDS = Set.of("reason");

  private final AdminAuthenticator auth;
  private final StandingExceptions exceptions;

  public ExceptionsApi(AdminAuthenticator auth, StandingExceptions exceptions) {
    this.auth = auth;
    this.exceptions = exceptions;
  }

  /** The collection ({@code GET}, {@code POST}) and everything below it. */
  public List<HttpEndpoint> endpoints() {
    return List.of(endpoint("GET", PATH), endpoint("POST", PATH), endpoint("GET", PATH + "/"), endpoint("POST", PATH + "/"));
  }

  private HttpEndpoint endpoint(String method, String path) {
    return HttpEndpoint.of(method, path, request -> route(method, request).withHeader("Cache-Control", "no-store"));
  }

  private HttpReply route(String method, HttpRequestView request) {
    Operator operator = auth.authenticate(request.header("Authorization"), request.clientCertificates());
    String rest = request.path().length() > PATH.length() ? request.path().substring(PATH.length() + 1) : "";
    if (rest.isEmpty()) {
      if (method.equals("GET")) {
        return json(200, list(request.query()));
      }
      ExceptionEvents.Actor by = actor(operator, "adding");
      StandingExceptions.View added = exceptions.add(addition(body(request.body())), by);
      return json(201, view(added)).withHeader("Location", PATH + "/" + added.record().exceptionId());
    }
    Matcher m = ONE.matcher(rest);
    if (!m.matches()) {
      throw new TaskException(ProblemType.NOT_FOUND, "no such admin resource: " + request.path());
    }
    String id = m.group(1);
    String action = m.group(2);
    if (method.equals("GET")) {
      if (action != null) {
        throw new TaskException(ProblemType.METHOD_NOT_ALLOWED, "use POST for " + request.path());
      }
      return json(200, view(exceptions.find(id)));
    }
    if (action == null) {
      throw new TaskException(ProblemType.METHOD_NOT_ALLOWED, "use GET for " + request.path());
    }
    if (action.equals("/review")) {
      ExceptionEvents.Actor by = actor(operator, "reviewing");
      JsonNode body = body(request.body());
      only(body, REVIEW_FIELDS);
      return json(200, view(exceptions.review(id, by, optionalText(body, "note"), instant(body, "expires_at"))));
    }
    ExceptionEvents.Actor by = actor(operator, "revoking");
    JsonNode body = body(request.body());
    only(body, REVOKE_FIELDS);
    return json(200, view(exceptions.revoke(id, by, optionalText(body, "reason"))));
  }

  private ObjectNode list(Map<String, List<String>> query) {
    for (String name : query.keySet()) {
      if (!name.equals("state") && !name.equals("limit")) {
        throw malformed("unknown query parameter " + name.replaceAll("[^A-Za-z0-9_]", "?") + " (state, limit)");
      }
    }
    ExceptionState state = null;
    List<String> states = query.get("state");
    if (states != null) {
      if (states.size() != 1 || (state = ExceptionState.fromWire(states.get(0))) == null) {
        throw malformed("state must be one of active, expiring, expired, unreviewed, revoked");
      }
    }
    int limit = 100;
    List<String> limits = query.get("limit");
    if (limits != null) {
      if (limits.size() != 1 || !limits.get(0).matches("\\d{1,4}") || Integer.parseInt(limits.get(0)) < 1
          || Integer.parseInt(limits.get(0)) > 1000) {
        throw malformed("limit must be between 1 and 1000");
      }
      limit = Integer.parseInt(limits.get(0));
    }
    ObjectNode out = ApiJson.mapper().createObjectNode();
    ArrayNode list = out.putArray("exceptions");
    exceptions.list(state, limit).forEach(v -> list.add(view(v)));
    ObjectNode counts = out.putObject("counts");
    exceptions.counts().forEach((s, n) -> counts.put(s.wire(), n));
    ObjectNode rules = out.putObject("rules");
    rules.put("max_lifetime", HumanDuration.format(exceptions.config().maxLifetime()));
    rules.put("review_interval", HumanDuration.format(exceptions.config().reviewInterval()));
    rules.put("expiring_within", HumanDuration.format(exceptions.config().expiringWithin()));
    return out;
  }

  /** An exception as the admin API, the dashboard and the report's JSON show it. */
  public static ObjectNode view(StandingExceptions.View v) {
    ExceptionRecord e = v.record();
    ObjectNode o = ApiJson.mapper().createObjectNode();
    o.put("exception_id", e.exceptionId());
    o.put("state", v.state().wire());
    o.put("identity", e.identity());
    o.put("scope", e.scope());
    o.put("owner", e.owner());
    o.put("reason", e.reason());
    o.put("created_at", e.createdAt().toString());
    actor(o, "created_by", e.createdBy());
    o.put("expires_at", e.expiresAt().toString());
    if (!e.revoked()) {
      o.put("review_due_at", v.reviewDueAt().toString());
    }
    if (e.lastReviewedAt() != null) {
      o.put("last_reviewed_at", e.lastReviewedAt().toString());
      actor(o, "last_reviewed_by", e.lastReviewedBy());
      if (e.lastReviewNote() != null) {
        o.put("last_review_note", e.lastReviewNote());
      }
    }
    if (e.revoked()) {
      o.put("revoked_at", e.revokedAt().toString());
      actor(o, "revoked_by", e.revokedBy());
      o.put("revoke_reason", e.revokeReason());
    }
    return o;
  }

  private static void actor(ObjectNode o, String field, ExceptionRecord.Actor a) {
    o.put(field, a.name());
    o.put(field + "_issuer", a.issuer());
  }

  private static StandingExceptions.Addition addition(JsonNode body) {
    only(body, ADD_FIELDS);
    return new StandingExceptions.Addition(
        optionalText(body, "identity"), optionalText(body, "scope"), optionalText(body, "owner"), optionalText(body, "reason"),
        instant(body, "expires_at"));
  }

  /** The operator as the evidence names them; changing the register needs the operator role. */
  private static ExceptionEvents.Actor actor(Operator operator, String doing) {
    if (!operator.may(Role.OPERATOR)) {
      throw new TaskException(ProblemType.FORBIDDEN, doing + " a standing exception needs the operator role");
    }
    return new ExceptionEvents.Actor(operator.issuer(), operator.subject(), operator.roleFor(Role.OPERATOR));
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

  /** Unknown fields are refused rather than ignored: a misspelt {@code expires_at} must not go unnoticed. */
  private static void only(JsonNode body, Set<String> allowed) {
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        throw malformed("unknown field " + name.replaceAll("[^A-Za-z0-9_]", "?") + "; expected " + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
  }

  private static String optionalText(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw malformed(field + " must be a string");
    }
    return v.textValue();
  }

  private static Instant instant(JsonNode body, String field) {
    String text = optionalText(body, field);
    try {
      return text == null ? null : Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw malformed(field + " must be an RFC 3339 UTC time such as 2025-01-31T12:00:00Z");
    }
  }

  private static HttpReply json(int status, JsonNode body) {
    return HttpReply.json(status, body.toString());
  }

  private static TaskException malformed(String detail) {
    return new TaskException(ProblemType.MALFORMED_REQUEST, detail);
  }
}
