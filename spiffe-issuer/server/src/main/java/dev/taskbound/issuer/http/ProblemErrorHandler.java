package dev.taskbound.issuer.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Problem;
import dev.taskbound.api.ProblemType;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty raises before our handler runs (an ambiguous URI such as an encoded slash, a bad header) are
 * answered as RFC 9457 problems too, never as Jetty's HTML page, and never echo the request.
 */
final class ProblemErrorHandler extends ErrorHandler {
  @Override
  protected void generateResponse(
      Request request, Response response, int code, String message, Throwable cause, Callback callback) {
    ProblemType type =
        switch (code) {
          case 404 -> ProblemType.NOT_FOUND;
          case 405 -> ProblemType.METHOD_NOT_ALLOWED;
          case 413 -> ProblemType.PAYLOAD_TOO_LARGE;
          case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
          default -> code >= 500 ? ProblemType.INTERNAL : ProblemType.MALFORMED_REQUEST;
        };
    Problem problem = new Problem(type.uri(), type.title(), code, "the request was refused by the HTTP layer (HTTP " + code + ")", null);
    byte[] body;
    try {
      body = ApiJson.mapper().writeValueAsBytes(problem);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json; charset=utf-8");
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
