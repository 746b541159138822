package dev.taskbound.issuer.http;

import dev.taskbound.issuer.task.TaskException;

/**
 * One extra route of the API (token exchange, introspection, CRL, discovery …), registered by the composition
 * root so each feature brings its own endpoint class instead of growing {@link ApiHandler}. Throw
 * {@link TaskException} for an RFC 9457 problem, or return a reply with the body the protocol needs (e.g. RFC 6749
 * {@code error} JSON).
 */
public interface HttpEndpoint {
  /** {@code GET} or {@code POST}. */
  String method();

  /** The exact path, e.g. {@code /token}; a path ending in '/' also serves every path below it. */
  String path();

  HttpReply handle(HttpRequestView request);

  /** A public {@code GET} route answered by {@code handler}. */
  static HttpEndpoint get(String path, java.util.function.Function<HttpRequestView, HttpReply> handler) {
    return of("GET", path, handler);
  }

  /** A route for {@code method} on {@code path} answered by {@code handler}. */
  static HttpEndpoint of(String method, String path, java.util.function.Function<HttpRequestView, HttpReply> handler) {
    return new HttpEndpoint() {
      @Override
      public String method() {
        return method;
      }

      @Override
      public String path() {
        return path;
      }

      @Override
      public HttpReply handle(HttpRequestView request) {
        return handler.apply(request);
      }
    };
  }
}
