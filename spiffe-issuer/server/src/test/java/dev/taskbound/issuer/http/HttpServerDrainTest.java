package dev.taskbound.issuer.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.issuer.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What SIGTERM relies on: closing the server stops new work but lets the requests in flight finish. */
class HttpServerDrainTest {
  @TempDir Path dataDir;

  @Test
  void closeLetsRequestsInFlightFinishAndRefusesNewOnes() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    HttpServer server = HttpServer.bind(ConfigLoader.override(ConfigLoader.dev(dataDir), true, "127.0.0.1:0", null));
    server.start(
        new Handler.Abstract() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) throws Exception {
            if (Request.getPathInContext(request).equals("/slow")) {
              entered.countDown();
              release.await(30, TimeUnit.SECONDS);
            }
            response.setStatus(200);
            response.write(true, ByteBuffer.wrap("done".getBytes(StandardCharsets.UTF_8)), callback);
            return true;
          }
        });
    String url = server.localUrl();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    CompletableFuture<HttpResponse<String>> inFlight =
        client.sendAsync(HttpRequest.newBuilder(URI.create(url + "/slow")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(entered.await(30, TimeUnit.SECONDS)).as("the slow request reached the handler").isTrue();

    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
    // While draining, a new request is refused (connection closed) or answered 503, never served.
    Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> newRequestIsTurnedAway(url + "/fast"));
    assertThat(closing).isNotDone();

    release.countDown();
    HttpResponse<String> finished = inFlight.get(15, TimeUnit.SECONDS);
    assertThat(finished.statusCode()).isEqualTo(200);
    assertThat(finished.body()).isEqualTo("done");
    closing.get(15, TimeUnit.SECONDS);
  }

  private static boolean newRequestIsTurnedAway(String url) {
    try {
      // A fresh client: a new connection, as a new caller would open.
      HttpClient fresh = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpResponse<String> r =
          fresh.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 503;
    } catch (java.io.IOException e) {
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
