package dev.taskbound.issuer.http;

import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.task.TaskException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} in the Prometheus text format: public, or behind its own bearer token (configured by the
 * name of the environment variable holding it), compared in constant time.
 */
public final class MetricsEndpoint implements HttpEndpoint {
  public static final String PATH = "/metrics";
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4";

  private final Supplier<String> scrape;
  private final byte[] token;

  /** @param token the bearer token scrapers must send, or null for a public endpoint */
  public MetricsEndpoint(Supplier<String> scrape, String token) {
    this.scrape = scrape;
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String method() {
    return "GET";
  }

  @Override
  public String path() {
    return PATH;
  }

  @Override
  public HttpReply handle(HttpRequestView request) {
    if (token != null) {
      String auth = request.header("Authorization");
      byte[] presented =
          auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
              ? auth.substring(7).trim().getBytes(StandardCharsets.UTF_8)
              : new byte[0];
      if (!MessageDigest.isEqual(presented, token)) {
        throw new TaskException(ProblemType.NOT_AUTHENTICATED, "/metrics needs the metrics bearer token");
      }
    }
    return new HttpReply(200, CONTENT_TYPE, scrape.get().getBytes(StandardCharsets.UTF_8), Map.of("Cache-Control", "no-store"));
  }
}
