package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.store.BundleKeyRecord;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Self-signed roots generated in the data dir; a retired root stays published until it expires itself. */
final class GeneratedRootKind implements AuthorityRotation.Kind<X509Authority> {
  private final String trustDomain;
  private final KeyAlgorithm algorithm;
  private final Duration lifetime;

  GeneratedRootKind(String trustDomain, KeyAlgorithm algorithm, Duration lifetime) {
    this.trustDomain = trustDomain;
    this.algorithm = algorithm;
    this.lifetime = lifetime;
  }

  @Override
  public String use() {
    return BundleService.USE_X509;
  }

  @Override
  public KeyAlgorithm algorithm() {
    return algorithm;
  }

  @Override
  public AuthorityRotation.Published publish(String kid, SigningKey key, Instant now) {
    X509Certificate root =
        RootCertificates.selfSigned(
            trustDomain, key.publicKey(), key.privateKey(), now.minus(BcX509SvidMinter.BACKDATE), now.plus(lifetime));
    return new AuthorityRotation.Published(Pem.certificate(root), root.getNotAfter().toInstant());
  }

  @Override
  public X509Authority authority(BundleKeyRecord record, SigningKey key) {
    X509Certificate root = Pem.parseCertificates(record.publicMaterial()).get(0);
    return new X509Authority(record.kid(), key.privateKey(), root, List.of(), root);
  }

  @Override
  public Instant removeAfter(BundleKeyRecord record, Instant retiredAt) {
    // Leaves are capped at their CA's NotAfter, so the root's own expiry bounds everything it signed.
    return record.notAfter() != null ? record.notAfter() : retiredAt;
  }
}
