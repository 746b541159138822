package dev.taskbound.client;

import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.api.RenewTaskResponse;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The credentials a task holds right now; replaced as a whole on every renewal.
 *
 * @param x509SvidChainPem leaf first, then intermediates (as {@code svid.pem})
 * @param bundlePem the X.509 trust anchors (as {@code bundle.pem})
 * @param bundleJson the issuer's SPIFFE bundle document (JWKS form, as {@code GET /bundle} serves it); null when
 *     it could not be fetched
 */
public record Svids(
    String taskId,
    String spiffeId,
    String x509SvidChainPem,
    List<JwtSvidCredential> jwtSvids,
    String bundlePem,
    String bundleJson,
    Instant expiresAt,
    Instant renewAfter) {

  public Svids {
    jwtSvids = jwtSvids == null ? List.of() : List.copyOf(jwtSvids);
  }

  static Svids of(BeginTaskResponse r, String bundleJson) {
    return new Svids(r.taskId(), r.spiffeId(), r.x509SvidChainPem(), r.jwtSvids(), r.bundlePem(), bundleJson, r.expiresAt(), r.renewAfter());
  }

  static Svids of(RenewTaskResponse r, String bundleJson) {
    return new Svids(r.taskId(), r.spiffeId(), r.x509SvidChainPem(), r.jwtSvids(), r.bundlePem(), bundleJson, r.expiresAt(), r.renewAfter());
  }

  /** The JWT-SVID issued for exactly {@code audience}, if the task asked for it at begin. */
  public Optional<JwtSvidCredential> jwtSvidFor(String audience) {
    return jwtSvids.stream().filter(j -> j.audience().equals(audience)).findFirst();
  }

  @Override
  public String toString() {
    return "Svids[taskId=" + taskId + ", spiffeId=" + spiffeId + ", jwtSvids=" + jwtSvids + ", renewAfter=" + renewAfter + "]";
  }
}
