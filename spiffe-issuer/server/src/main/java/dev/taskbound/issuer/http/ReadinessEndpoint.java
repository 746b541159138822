package dev.taskbound.issuer.http;

import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.task.TaskException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /readyz}: 200 while this replica can serve (its database answers), else 503 {@code store-unavailable}
 * with {@code Retry-After}, so a load balancer sends requests elsewhere. {@code /healthz} stays liveness: a replica
 * whose database is down is alive and comes back by itself, restarting it would not help.
 */
public final class ReadinessEndpoint implements HttpEndpoint {
  private final BooleanSupplier databaseReachable;

  public ReadinessEndpoint(BooleanSupplier databaseReachable) {
    this.databaseReachable = databaseReachable;
  }

  @Override
  public String method() {
    return "GET";
  }

  @Override
  public String path() {
    return "/readyz";
  }

  @Override
  public HttpReply handle(HttpRequestView request) {
    if (!databaseReachable.getAsBoolean()) {
      throw new TaskException(ProblemType.STORE_UNAVAILABLE, "the issuer cannot reach its database");
    }
    return new HttpReply(200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8), Map.of());
  }
}
