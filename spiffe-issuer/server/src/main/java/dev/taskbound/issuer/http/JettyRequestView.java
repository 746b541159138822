package dev.taskbound.issuer.http;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.MultiMap;
import org.eclipse.jetty.util.UrlEncoded;

/** {@link HttpRequestView} over a Jetty request whose body has already been read with the size limit. */
final class JettyRequestView implements HttpRequestView {
  private final Request request;
  private final byte[] body;

  JettyRequestView(Request request, byte[] body) {
    this.request = request;
    this.body = body;
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    return Request.getPathInContext(request);
  }

  @Override
  public String header(String name) {
    return request.getHeaders().get(name);
  }

  @Override
  public byte[] body() {
    return body.clone();
  }

  @Override
  public Map<String, List<String>> form() {
    String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
    if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      return Map.of();
    }
    return decode(new String(body, StandardCharsets.UTF_8));
  }

  @Override
  public Map<String, List<String>> query() {
    String q = request.getHttpURI().getQuery();
    return q == null ? Map.of() : decode(q);
  }

  @Override
  public List<X509Certificate> clientCertificates() {
    EndPoint.SslSessionData ssl = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    if (ssl == null || ssl.peerCertificates() == null) {
      return List.of();
    }
    return List.of(ssl.peerCertificates());
  }

  private static Map<String, List<String>> decode(String encoded) {
    MultiMap<String> fields = new MultiMap<>();
    UrlEncoded.decodeTo(encoded, fields, StandardCharsets.UTF_8);
    Map<String, List<String>> out = new LinkedHashMap<>();
    fields.forEach((k, v) -> out.put(k, List.copyOf(v)));
    return Map.copyOf(out);
  }
}
