package dev.taskbound.issuer.http;

import dev.taskbound.issuer.metrics.MetricNames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Times every request ({@value MetricNames#HTTP_REQUESTS}, a histogram) by operation — a closed set derived from
 * method and path, never the path itself (it carries task ids) — and HTTP status, and counts requests in flight.
 */
public final class RequestMetrics extends Handler.Wrapper {
  private final MeterRegistry registry;
  private final AtomicInteger active = new AtomicInteger();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  public RequestMetrics(Handler handler, MeterRegistry registry) {
    super(handler);
    this.registry = registry;
    Gauge.builder(MetricNames.HTTP_ACTIVE_REQUESTS, active, AtomicInteger::get)
        .description("HTTP requests being served")
        .register(registry);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    long start = System.nanoTime();
    String operation = operation(request.getMethod(), Request.getPathInContext(request));
    active.incrementAndGet();
    Callback timed =
        new Callback() {
          @Override
          public void succeeded() {
            done();
            callback.succeeded();
          }

          @Override
          public void failed(Throwable x) {
            done();
            callback.failed(x);
          }

          @Override
          public InvocationType getInvocationType() {
            return callback.getInvocationType();
          }

          private void done() {
            active.decrementAndGet();
            timer(operation, response.getStatus()).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          }
        };
    try {
      return super.handle(request, response, timed);
    } catch (Exception | Error e) {
      active.decrementAndGet();
      throw e;
    }
  }

  /** The closed set {@link MetricNames#HTTP_OPERATIONS}. */
  static String operation(String method, String path) {
    boolean post = "POST".equals(method);
    if (path.equals("/v1/tasks")) {
      return post ? "begin" : MetricNames.OTHER;
    }
    if (path.startsWith("/v1/admin/")) {
      return "admin";
    }
    if (path.startsWith("/v1/tasks/")) {
      return path.endsWith("/renew") && post ? "renew" : path.endsWith("/end") && post ? "end" : "view";
    }
    return switch (path) {
      case "/token" -> "exchange";
      case "/introspect" -> "introspect";
      case "/revoke" -> "revoke";
      case "/bundle", "/jwks", "/crl" -> "discovery";
      case "/metrics" -> "metrics";
      case "/openapi.json" -> "openapi";
      case "/healthz", "/readyz" -> "health";
      default -> path.startsWith("/evidence/") ? "evidence"
          : path.startsWith("/.well-known/") ? "discovery"
          : path.equals("/ui") || path.startsWith("/ui/") ? "ui"
          : MetricNames.OTHER;
    };
  }

  private Timer timer(String operation, int status) {
    String code = status >= 100 && status < 600 ? Integer.toString(status) : MetricNames.OTHER;
    return timers.computeIfAbsent(
        operation + ' ' + code,
        k -> Timer.builder(MetricNames.HTTP_REQUESTS)
            .description("HTTP requests by operation and status")
            .tag(MetricNames.OPERATION, operation)
            .tag(MetricNames.STATUS, code)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry));
  }
}
