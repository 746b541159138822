package dev.taskbound.issuer.http;

import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.task.TaskException;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard at {@code /ui/}: a fixed set of assets from the jar, under a strict Content Security Policy (no
 * inline script or style, nothing from another origin, no framing). The page itself holds no data; it reads the
 * admin API with the operator's token.
 */
public final class DashboardEndpoint {
  public static final String PATH = "/ui/";
  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
          + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  private static final Map<String, String> ASSETS =
      Map.of(
          "index.html", "text/html", "app.js", "text/javascript", "evidence.js", "text/javascript", "chart.js", "text/javascript",
          "app.css", "text/css");

  private DashboardEndpoint() {}

  public static HttpEndpoint endpoint() {
    Map<String, HttpReply> replies = new LinkedHashMap<>();
    ASSETS.forEach((name, type) -> replies.put(name, new HttpReply(200, type, read(name), headers())));
    return HttpEndpoint.get(PATH, r -> {
      String name = r.path().substring(PATH.length());
      HttpReply reply = replies.get(name.isEmpty() ? "index.html" : name);
      if (reply == null) {
        throw new TaskException(ProblemType.NOT_FOUND, "no such dashboard asset");
      }
      return reply;
    });
  }

  private static Map<String, String> headers() {
    return Map.of(
        "Content-Security-Policy", CSP,
        "X-Content-Type-Options", "nosniff",
        "Referrer-Policy", "no-referrer",
        "X-Frame-Options", "DENY",
        "Cache-Control", "no-cache");
  }

  private static byte[] read(String name) {
    try (InputStream in = DashboardEndpoint.class.getResourceAsStream("/dev/taskbound/issuer/ui/" + name)) {
      if (in == null) {
        throw new IllegalStateException("dashboard asset " + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("dashboard asset " + name + " cannot be read", e);
    }
  }
}
