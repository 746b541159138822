package dev.taskbound.issuer.http;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

/**
 * What an endpoint may read of a request: headers, the body (already limited to 64 KiB), form fields when the body
 * is {@code application/x-www-form-urlencoded}, query parameters, and the client's TLS certificate chain when the
 * connection is mutual TLS (empty otherwise).
 */
public interface HttpRequestView {
  String method();

  String path();

  /** A header value, or null. */
  String header(String name);

  /** The body (read with the API's size limit); empty for none. */
  byte[] body();

  /** Form fields of an {@code application/x-www-form-urlencoded} body: every value of every field. */
  Map<String, List<String>> form();

  /** Query parameters: every value of every parameter. */
  Map<String, List<String>> query();

  /** The client certificate chain of a mutual-TLS connection, leaf first; empty when none. */
  List<X509Certificate> clientCertificates();
}
