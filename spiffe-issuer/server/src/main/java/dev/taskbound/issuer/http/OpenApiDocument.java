package dev.taskbound.issuer.http;

import java.io.IOException;
import java.io.InputStream;

/**
 * {@code GET /openapi.json}: the OpenAPI 3.1 document of the whole HTTP API, kept as a resource next to this
 * class. {@code OpenApiContractTest} validates the running issuer's real responses against it.
 */
public final class OpenApiDocument {
  public static final String PATH = "/openapi.json";
  static final String RESOURCE = "openapi.json";

  private OpenApiDocument() {}

  public static byte[] bytes() {
    try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("openapi.json cannot be read", e);
    }
  }

  public static HttpEndpoint endpoint() {
    byte[] document = bytes();
    return HttpEndpoint.get(PATH, r -> HttpReply.json(200, document));
  }
}
