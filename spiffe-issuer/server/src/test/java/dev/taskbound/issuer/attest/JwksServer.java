package dev.taskbound.issuer.attest;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** Serves one JWKS document on loopback, as a Jenkins controller publishing its keys would. */
final class JwksServer implements AutoCloseable {
  private final HttpServer server;
  private volatile String document;
  final AtomicInteger requests = new AtomicInteger();

  JwksServer(String document) throws IOException {
    this.document = document;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/taskbound/jwks", exchange -> {
      try (exchange) {
        requests.incrementAndGet();
        byte[] body = this.document.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/taskbound/jwks");
  }

  void publish(String json) {
    document = json;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
