package dev.taskbound.issuer.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.exchange.OAuthException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The OAuth wire conventions shared by {@code /token}, {@code /introspect} and {@code /revoke}: form-encoded
 * requests whose parameters appear at most once (RFC 6749 §3.2), JSON answers that are never cached, and RFC 6749
 * §5.2 error objects (not problem+json, which OAuth clients do not read).
 */
final class OAuthForm {
  private final Map<String, List<String>> fields;

  private OAuthForm(Map<String, List<String>> fields) {
    this.fields = fields;
  }

  static OAuthForm of(HttpRequestView request) {
    String type = request.header("Content-Type");
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      throw OAuthException.invalidRequest("send the request as application/x-www-form-urlencoded");
    }
    return new OAuthForm(request.form());
  }

  /** A parameter that may appear once; null when absent or empty. */
  String single(String name) {
    List<String> values = fields.getOrDefault(name, List.of());
    if (values.size() > 1) {
      throw OAuthException.invalidRequest(name + " must not be repeated");
    }
    return values.isEmpty() || values.get(0).isEmpty() ? null : values.get(0);
  }

  /** A parameter that may repeat (RFC 8693 {@code audience}, {@code resource}). */
  List<String> all(String name) {
    return fields.getOrDefault(name, List.of()).stream().filter(v -> !v.isEmpty()).toList();
  }

  /** A token-bearing or per-caller answer: never cached (RFC 6749 §5.1). */
  static HttpReply json(int status, Object body) {
    return HttpReply.json(status, bytes(body)).withHeader("Cache-Control", "no-store").withHeader("Pragma", "no-cache");
  }

  /** A public document (discovery, JWKS): relying parties may cache it briefly. */
  static HttpReply publicJson(Object body) {
    return HttpReply.json(200, bytes(body)).withHeader("Cache-Control", "max-age=60");
  }

  private static byte[] bytes(Object body) {
    try {
      return ApiJson.mapper().writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response does not serialise", e);
    }
  }

  static HttpReply error(OAuthException e) {
    HttpReply reply = json(e.status(), Map.of("error", e.error(), "error_description", e.getMessage()));
    if (e.status() == 401) {
      reply = reply.withHeader("WWW-Authenticate", "Basic realm=\"taskbound\", Bearer realm=\"taskbound\"");
    }
    return reply;
  }

  static HttpReply unavailable() {
    return json(503, Map.of("error", "temporarily_unavailable", "error_description", "the issuer could not record this; retry"))
        .withHeader("Retry-After", ApiHandler.RETRY_AFTER_SECONDS);
  }
}
