package dev.taskbound.issuer.ca;

import java.security.PublicKey;
import java.time.Instant;

/** Signs X.509-SVIDs with the active X.509 authority. */
public interface X509SvidMinter {
  /**
   * Mints an X.509-SVID for {@code id} over {@code subjectKey} (the task's public key; its private half never
   * reaches the issuer), valid until {@code notAfter} or the signing CA's own expiry, whichever is first.
   */
  X509SvidIssued mint(SpiffeId id, PublicKey subjectKey, Instant notAfter);
}
