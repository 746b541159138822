package dev.taskbound.issuer.http;

import dev.taskbound.issuer.ca.CrlPublisher;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /crl}: the DER CRL named by every X.509-SVID's distribution point. Cacheable by intermediaries only
 * until the CRL's own {@code nextUpdate}, and never longer than the publisher's refresh (30 s) so revocations propagate.
 */
public final class CrlEndpoint implements HttpEndpoint {
  static final String PKIX_CRL = "application/pkix-crl";
  private static final long MAX_AGE_SECONDS = 30;

  private final CrlPublisher crl;
  private final Supplier<Instant> now;

  public CrlEndpoint(CrlPublisher crl, Supplier<Instant> now) {
    this.crl = crl;
    this.now = now;
  }

  @Override
  public String method() {
    return "GET";
  }

  @Override
  public String path() {
    return "/crl";
  }

  @Override
  public HttpReply handle(HttpRequestView request) {
    CrlPublisher.Crl current = crl.current();
    long untilNext = Math.max(0, Duration.between(now.get(), current.nextUpdate()).toSeconds());
    return new HttpReply(
        200,
        PKIX_CRL,
        current.der(),
        Map.of("Cache-Control", "public, max-age=" + Math.min(MAX_AGE_SECONDS, untilNext)));
  }
}
