package dev.taskbound.client;

import dev.taskbound.api.JwtSvidCredential;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A step's credentials as the caller of the issuer sees them after begin or renew: what to keep (ids, times, the
 * control token) and what to deliver ({@link #files()}). Not serializable on purpose: an adapter persists the
 * fields it needs, with the control token encrypted.
 *
 * @param files the SVID contents to write where the key lives
 * @param written where they were written
 * @param controlToken authorises renew and end; stays with the caller, never sent to the step
 */
public record StepCredentials(
    String taskId,
    String spiffeId,
    Instant expiresAt,
    Instant renewAfter,
    String controlToken,
    Svids svids,
    SvidFiles files,
    WrittenFiles written) {

  /** The tokens a console must mask: the control token and every JWT-SVID of this issuance. */
  public Set<String> secretsToMask() {
    Set<String> secrets = new LinkedHashSet<>();
    if (controlToken != null) {
      secrets.add(controlToken);
    }
    for (JwtSvidCredential jwt : svids.jwtSvids()) {
      secrets.add(jwt.token());
    }
    return secrets;
  }

  @Override
  public String toString() {
    return "StepCredentials[" + taskId + ", " + spiffeId + ", expiresAt=" + expiresAt + "]";
  }
}
