package dev.taskbound.issuer.store;

import java.time.Instant;
import java.util.Objects;

/**
 * What makes an attestation single use, spent only when a task is actually begun with it (in the transaction that
 * records the task), so a refused request leaves it usable: a JWT's {@code (iss, jti)} in the replay cache until
 * {@code expiresAt}, or a one-time token (by its SHA-256) that is deleted.
 */
public sealed interface AttestationUse {
  record Jti(String issuer, String jti, Instant expiresAt) implements AttestationUse {
    public Jti {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(jti, "jti");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  record OneTimeToken(String tokenSha256, String purpose) implements AttestationUse {
    public OneTimeToken {
      Objects.requireNonNull(tokenSha256, "tokenSha256");
      Objects.requireNonNull(purpose, "purpose");
    }
  }
}
