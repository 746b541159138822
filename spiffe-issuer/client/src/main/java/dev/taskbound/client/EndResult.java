package dev.taskbound.client;

import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.RevokedCredential;
import java.time.Duration;

/**
 * What ending a task came to: the issuer's answer, or the last error after every retry failed.
 *
 * @param response the issuer's answer; null when it could not be reached for the whole retry window
 * @param attempts how many end calls were made
 * @param failure what went wrong last; null when {@code response} is set
 */
public record EndResult(String taskId, String requestedOutcome, EndTaskResponse response, int attempts, IssuerException failure) {

  public boolean ended() {
    return response != null;
  }

  /** The longest time any revoked credential could still be accepted by a verifier that only checks {@code exp}. */
  public Duration residualExposure() {
    if (response == null || response.revoked() == null) {
      return Duration.ZERO;
    }
    return Duration.ofSeconds(response.revoked().stream().mapToLong(RevokedCredential::residualExposureSeconds).max().orElse(0));
  }

  public int revokedCount() {
    return response == null || response.revoked() == null ? 0 : response.revoked().size();
  }
}
