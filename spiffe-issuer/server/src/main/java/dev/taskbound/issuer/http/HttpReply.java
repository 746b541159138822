package dev.taskbound.issuer.http;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A response to write: status, content type, body and extra headers. */
public record HttpReply(int status, String contentType, byte[] body, Map<String, String> headers) {
  public HttpReply {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  public static HttpReply json(int status, byte[] body) {
    return new HttpReply(status, "application/json", body, Map.of());
  }

  public static HttpReply json(int status, String body) {
    return json(status, body.getBytes(StandardCharsets.UTF_8));
  }

  public HttpReply withHeader(String name, String value) {
    java.util.Map<String, String> h = new java.util.LinkedHashMap<>(headers);
    h.put(name, value);
    return new HttpReply(status, contentType, body, h);
  }
}
