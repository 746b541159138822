package dev.taskbound.issuer.signals;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Function;

/**
 * Push-based SET delivery (RFC 8935): one {@code POST} of {@code application/secevent+jwt}; {@code 202} means the
 * receiver has it. A {@code 400} is the receiver rejecting this SET (RFC 8935 §2.3), which no retry can fix;
 * anything else (5xx, 429, other statuses, network failure) is worth another attempt.
 */
public final class PushDelivery {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  /** What became of one send; {@code detail} is for logs and the store, never a secret. */
  public record Result(Kind kind, String detail) {
    public enum Kind { DELIVERED, REJECTED, RETRY }
  }

  private final Function<String, String> env;
  /**
   * Built on the first send: building a client loads the JDK's trust store and starts a selector thread, which
   * start-up (and an issuer without receivers) should not wait for.
   */
  private HttpClient http;

  /** @param env reads the receivers' bearer-token environment variables */
  public PushDelivery(Function<String, String> env) {
    this.env = env;
  }

  private synchronized HttpClient http() {
    if (http == null) {
      http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    }
    return http;
  }

  public Result send(SignalsConfig.Receiver receiver, String set) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(receiver.url())
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "application/secevent+jwt")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(set));
    if (receiver.bearerTokenEnv() != null) {
      String token = env.apply(receiver.bearerTokenEnv());
      if (token == null || token.isBlank()) {
        return new Result(Result.Kind.RETRY, "environment variable " + receiver.bearerTokenEnv() + " is not set");
      }
      request.header("Authorization", "Bearer " + token.trim());
    }
    HttpResponse<String> response;
    try {
      response = http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new Result(Result.Kind.RETRY, "send failed: " + e.getClass().getSimpleName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(Result.Kind.RETRY, "interrupted");
    }
    int status = response.statusCode();
    if (status / 100 == 2) {
      return new Result(Result.Kind.DELIVERED, "HTTP " + status);
    }
    String detail = "HTTP " + status + errorOf(response.body());
    return new Result(status == 400 ? Result.Kind.REJECTED : Result.Kind.RETRY, detail);
  }

  /** The receiver's short RFC 8935 error code, if it sent one; its free text is not kept. */
  private static String errorOf(String body) {
    if (body == null) {
      return "";
    }
    var m = java.util.regex.Pattern.compile("\"err\"\\s*:\\s*\"([a-z_]{1,40})\"").matcher(body);
    return m.find() ? " (" + m.group(1) + ")" : "";
  }
}
