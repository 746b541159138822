package dev.taskbound.issuer.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.BeginTaskRequest;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.CollectTaskRequest;
import dev.taskbound.api.EndTaskRequest;
import dev.taskbound.api.Problem;
import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.config.HumanDuration;
import dev.taskbound.issuer.logging.TaskLogFields;
import dev.taskbound.issuer.store.StoreException;
import dev.taskbound.issuer.task.ApprovalRequests;
import dev.taskbound.issuer.task.TaskException;
import dev.taskbound.issuer.task.TaskLifecycle;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API v1 (see {@code docs/api.md}): a thin mapping of requests onto {@link TaskLifecycle} and the
 * bundle. Bodies are JSON of at most {@value #MAX_BODY_BYTES} bytes; every error is an RFC 9457 problem.
 */
public final class ApiHandler extends Handler.Abstract {
  public static final int MAX_BODY_BYTES = 64 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
  private static final Pattern TASK_PATH = Pattern.compile("/v1/tasks/([^/]+)(/renew|/end)?");
  private static final Pattern APPROVAL_PATH = Pattern.compile("/v1/approvals/([^/]+)(/task)?");
  private static final Pattern TASK_IN_PATH = Pattern.compile("^/(?:v1/|v1/admin/|evidence/)tasks/(tsk_[a-z2-7]{26})(?:/|$)");
  private static final String JSON = "application/json";
  private static final String PROBLEM_JSON = "application/problem+json";
  /** {@code Retry-After} of every 503 (seconds): about the store's connection timeout, so a retry finds it back. */
  public static final String RETRY_AFTER_SECONDS = "5";

  private final TaskLifecycle tasks;
  private final Supplier<String> bundleJson;
  private final Map<String, HttpEndpoint> endpoints;
  private final ObjectMapper json = ApiJson.mapper();

  /** @param endpoints further routes (exchange, introspection, CRL, evidence …), one per method and path */
  public ApiHandler(TaskLifecycle tasks, Supplier<String> bundleJson, List<HttpEndpoint> endpoints) {
    this.tasks = tasks;
    this.bundleJson = bundleJson;
    Map<String, HttpEndpoint> byRoute = new HashMap<>();
    for (HttpEndpoint e : endpoints) {
      if (byRoute.put(e.method() + " " + e.path(), e) != null) {
        throw new IllegalArgumentException("two endpoints for " + e.method() + " " + e.path());
      }
    }
    this.endpoints = Map.copyOf(byRoute);
  }

  public ApiHandler(TaskLifecycle tasks, Supplier<String> bundleJson) {
    this(tasks, bundleJson, List.of());
  }

  /** A response to write: status, content type and body. */
  private record Reply(int status, String contentType, byte[] body, String location, Map<String, String> headers) {
    Reply(int status, String contentType, byte[] body, String location) {
      this(status, contentType, body, location, Map.of());
    }

    static Reply json(int status, byte[] body) {
      return new Reply(status, JSON, body, null);
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    // Lines logged while serving a request about one task carry its id (the lifecycle adds its SPIFFE ID once read);
    // the scope also clears whatever a previous request left on this pooled thread.
    try (TaskLogFields fields = TaskLogFields.of(taskIdIn(path), null)) {
      return handle(path, request, response, callback);
    }
  }

  /** The task a path names ({@code /v1/tasks/{id}…}, {@code /v1/admin/tasks/{id}…}, {@code /evidence/tasks/{id}}), else null. */
  static String taskIdIn(String path) {
    Matcher m = TASK_IN_PATH.matcher(path);
    return m.find() ? m.group(1) : null;
  }

  private boolean handle(String path, Request request, Response response, Callback callback) {
    String method = request.getMethod();
    Reply reply;
    try {
      CompletableFuture<Reply> later = longPoll(method, path, request);
      if (later != null) {
        // Answered when the approval request changes: no thread waits meanwhile.
        later.whenComplete((r, failure) -> send(response, callback, path, failure == null ? r : replyFor(failure, method, path)));
        return true;
      }
      reply = route(method, path, request);
    } catch (RuntimeException e) {
      reply = replyFor(e, method, path);
    }
    send(response, callback, path, reply);
    return true;
  }

  /** The problem for a failure while serving {@code method path}. */
  private Reply replyFor(Throwable failure, String method, String path) {
    Throwable e = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (e instanceof TaskException t) {
      return problem(t.type(), t.getMessage(), path);
    }
    if (e instanceof StoreException s) {
      if (s.unavailable()) {
        LOG.warn("store unavailable on {} {}: {}", method, path, s.getMessage());
        return problem(ProblemType.STORE_UNAVAILABLE, "the issuer cannot reach its database; retry later", path);
      }
      LOG.error("store error on {} {}", method, path, s);
      return problem(ProblemType.INTERNAL, "unexpected error; see the issuer log", path);
    }
    LOG.error("unexpected error on {} {}", method, path, e);
    return problem(ProblemType.INTERNAL, "unexpected error; see the issuer log", path);
  }

  /**
   * {@code GET /v1/approvals/{id}?wait=30s}: the request once it changes (or the wait, capped, is over); null for
   * every other request.
   */
  private CompletableFuture<Reply> longPoll(String method, String path, Request request) {
    if (!"GET".equals(method) || request.getHttpURI().getQuery() == null) {
      return null;
    }
    Matcher approval = APPROVAL_PATH.matcher(path);
    if (!approval.matches() || approval.group(2) != null) {
      return null;
    }
    String wait = Request.extractQueryParameters(request).getValue("wait");
    if (wait == null) {
      return null;
    }
    return tasks.approvals()
        .viewWhenChanged(approval.group(1), bearer(request), waitOf(wait), request.getComponents().getExecutor())
        .thenApply(view -> Reply.json(200, write(view)));
  }

  /** {@code 30s}, {@code 30} (seconds) or ISO-8601; capped by the approvals themselves. */
  static Duration waitOf(String text) {
    String t = text.trim();
    Duration d;
    try {
      d = t.matches("\\d{1,6}") ? Duration.ofSeconds(Long.parseLong(t)) : HumanDuration.parse(t);
    } catch (IllegalArgumentException e) {
      throw new TaskException(ProblemType.MALFORMED_REQUEST, "wait must be a duration such as 30s, at most " + ApprovalRequests.MAX_WAIT.toSeconds() + "s");
    }
    return d;
  }

  private void send(Response response, Callback callback, String path, Reply reply) {
    response.setStatus(reply.status());
    // Binary bodies (a DER CRL) have no charset; naming one would be wrong.
    boolean text = reply.contentType().startsWith("text/") || reply.contentType().contains("json");
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, text ? reply.contentType() + "; charset=utf-8" : reply.contentType());
    // Task responses carry credentials: never cache them anywhere.
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, path.startsWith("/v1/") ? "no-store" : "max-age=60");
    reply.headers().forEach((name, value) -> response.getHeaders().put(name, value));
    if (reply.location() != null) {
      response.getHeaders().put(HttpHeader.LOCATION, reply.location());
    }
    if (reply.status() == 503 && !reply.headers().containsKey(HttpHeader.RETRY_AFTER.asString())) {
      // Every 503 is temporary (database or evidence log): say when to come back rather than let clients hammer.
      response.getHeaders().put(HttpHeader.RETRY_AFTER, RETRY_AFTER_SECONDS);
    }
    if (reply.status() == 401 && !reply.headers().containsKey(HttpHeader.WWW_AUTHENTICATE.asString())) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"taskbound\"");
    }
    response.write(true, ByteBuffer.wrap(reply.body()), callback);
  }

  private Reply route(String method, String path, Request request) {
    HttpEndpoint endpoint = endpoints.get(method + " " + path);
    if (endpoint == null) {
      endpoint = prefixEndpoint(method, path);
    }
    if (endpoint != null) {
      HttpReply r = endpoint.handle(new JettyRequestView(request, readBody(request)));
      return new Reply(r.status(), r.contentType(), r.body(), null, r.headers());
    }
    if (endpoints.keySet().stream().anyMatch(k -> k.endsWith(" " + path))) {
      throw new TaskException(ProblemType.METHOD_NOT_ALLOWED, "method " + method + " not allowed on " + path);
    }
    switch (path) {
      case "/healthz" -> {
        requireMethod(method, "GET");
        return new Reply(200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8), null);
      }
      case "/bundle" -> {
        requireMethod(method, "GET");
        return Reply.json(200, bundleJson.get().getBytes(StandardCharsets.UTF_8));
      }
      case "/v1/tasks" -> {
        requireMethod(method, "POST");
        BeginTaskRequest begin = readJson(request, BeginTaskRequest.class);
        TaskLifecycle.Started started = tasks.start(begin, true);
        if (started.approval() != null) {
          // 202: the task waits for approvers; the caller polls the request (docs/api.md, approval gates).
          return new Reply(202, JSON, write(started.approval()), "/v1/approvals/" + started.approval().approvalId());
        }
        BeginTaskResponse created = started.task();
        return new Reply(201, JSON, write(created), "/v1/tasks/" + created.taskId());
      }
      default -> {
        Matcher approval = APPROVAL_PATH.matcher(path);
        if (approval.matches()) {
          return approval(method, approval.group(1), approval.group(2) != null, request);
        }
        Matcher m = TASK_PATH.matcher(path);
        if (!m.matches()) {
          throw new TaskException(ProblemType.NOT_FOUND, "no such resource: " + path);
        }
        String taskId = m.group(1);
        String action = m.group(2);
        String token = bearer(request);
        if (action == null) {
          requireMethod(method, "GET");
          return Reply.json(200, write(tasks.view(taskId, token)));
        }
        requireMethod(method, "POST");
        if (action.equals("/renew")) {
          return Reply.json(200, write(tasks.renew(taskId, token)));
        }
        EndTaskRequest end = readJson(request, EndTaskRequest.class);
        return Reply.json(200, write(tasks.end(taskId, token, end)));
      }
    }
  }

  private Reply approval(String method, String approvalId, boolean task, Request request) {
    String token = bearer(request);
    if (task) {
      requireMethod(method, "POST");
      BeginTaskResponse created = tasks.approvals().collect(approvalId, token, readJson(request, CollectTaskRequest.class));
      return new Reply(201, JSON, write(created), "/v1/tasks/" + created.taskId());
    }
    if (method.equals("DELETE")) {
      return Reply.json(200, write(tasks.approvals().withdraw(approvalId, token)));
    }
    requireMethod(method, "GET");
    return Reply.json(200, write(tasks.approvals().view(approvalId, token)));
  }

  /**
   * Endpoints whose path ends in '/' serve everything below it (e.g. {@code /evidence/tasks/{id}}); the longest such
   * path wins, so a feature may own a subtree of another's ({@code /v1/admin/exceptions/} under {@code /v1/admin/}).
   */
  private HttpEndpoint prefixEndpoint(String method, String path) {
    HttpEndpoint best = null;
    for (HttpEndpoint e : endpoints.values()) {
      if (e.method().equals(method) && e.path().endsWith("/") && path.startsWith(e.path()) && path.length() > e.path().length()
          && (best == null || e.path().length() > best.path().length())) {
        best = e;
      }
    }
    return best;
  }

  private <T> T readJson(Request request, Class<T> type) {
    String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith(JSON)) {
      throw new TaskException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
    }
    byte[] body = readBody(request);
    if (body.length == 0) {
      throw new TaskException(ProblemType.MALFORMED_REQUEST, "request body is empty");
    }
    try {
      T value = json.readValue(body, type);
      if (value == null) {
        throw new TaskException(ProblemType.MALFORMED_REQUEST, "request body must be a JSON object");
      }
      return value;
    } catch (JsonProcessingException e) {
      // Jackson's message may quote input; say where, not what.
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new TaskException(ProblemType.MALFORMED_REQUEST, "request body is not valid JSON for this endpoint" + where);
    } catch (IOException e) {
      throw new TaskException(ProblemType.MALFORMED_REQUEST, "request body could not be read");
    }
  }

  /** Reads the body with the API's size limit, by header and while reading. */
  static byte[] readBody(Request request) {
    if (request.getLength() > MAX_BODY_BYTES) {
      throw new TaskException(ProblemType.PAYLOAD_TOO_LARGE, "request body exceeds " + MAX_BODY_BYTES + " bytes");
    }
    byte[] body;
    long declared = request.getLength();
    try (InputStream in = Content.Source.asInputStream(request)) {
      if (declared >= 0) {
        // Content-Length given (and within the limit): read exactly that, into one array of that size.
        body = new byte[(int) declared];
        if (in.readNBytes(body, 0, body.length) != body.length || in.read() != -1) {
          throw new TaskException(ProblemType.MALFORMED_REQUEST, "request body does not match its Content-Length");
        }
      } else {
        body = in.readNBytes(MAX_BODY_BYTES + 1);
      }
    } catch (IOException e) {
      throw new TaskException(ProblemType.MALFORMED_REQUEST, "request body could not be read");
    }
    if (body.length > MAX_BODY_BYTES) {
      throw new TaskException(ProblemType.PAYLOAD_TOO_LARGE, "request body exceeds " + MAX_BODY_BYTES + " bytes");
    }
    return body;
  }

  private static String bearer(Request request) {
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return auth.substring(7).trim();
  }

  private static void requireMethod(String method, String allowed) {
    if (!allowed.equals(method)) {
      throw new TaskException(ProblemType.METHOD_NOT_ALLOWED, "use " + allowed);
    }
  }

  private byte[] write(Object value) {
    try {
      return json.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response does not serialise", e);
    }
  }

  private Reply problem(ProblemType type, String detail, String path) {
    Problem p = type.problem(detail, path);
    return new Reply(p.status(), PROBLEM_JSON, write(p), null);
  }
}
