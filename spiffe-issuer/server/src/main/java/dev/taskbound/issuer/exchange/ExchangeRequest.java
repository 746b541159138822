package dev.taskbound.issuer.exchange;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * An RFC 8693 token exchange request as the wire delivered it (single-valued parameters already checked for
 * repeats), plus the client's TLS certificate chain when the connection is mutual TLS.
 */
public record ExchangeRequest(
    String grantType,
    String subjectToken,
    String subjectTokenType,
    String actorToken,
    String actorTokenType,
    String requestedTokenType,
    List<String> audiences,
    List<String> resources,
    List<X509Certificate> clientCertificates) {

  public ExchangeRequest {
    audiences = audiences == null ? List.of() : List.copyOf(audiences);
    resources = resources == null ? List.of() : List.copyOf(resources);
    clientCertificates = clientCertificates == null ? List.of() : List.copyOf(clientCertificates);
  }

  @Override
  public String toString() {
    return "ExchangeRequest[grantType=" + grantType + ", subjectTokenType=" + subjectTokenType + ", audiences="
        + audiences + ", resources=" + resources + "]";
  }
}
