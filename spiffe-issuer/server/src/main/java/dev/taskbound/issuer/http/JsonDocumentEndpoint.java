package dev.taskbound.issuer.http;

import java.util.function.Supplier;

/**
 * A public {@code GET} of one JSON document (discovery metadata, a key set), produced on demand by a feature that
 * knows nothing of HTTP.
 */
public final class JsonDocumentEndpoint implements HttpEndpoint {
  private final String path;
  private final Supplier<String> document;

  public JsonDocumentEndpoint(String path, Supplier<String> document) {
    this.path = path;
    this.document = document;
  }

  @Override
  public String method() {
    return "GET";
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public HttpReply handle(HttpRequestView request) {
    return HttpReply.json(200, document.get());
  }
}
