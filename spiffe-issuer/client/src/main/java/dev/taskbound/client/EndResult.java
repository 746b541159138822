package dev.taskbound.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.RevokedCredential;
import dev.taskbound.client.evidence.CanonicalJson;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.InvalidEvidenceException;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.RevocationReceipt;
import java.time.Duration;

/**
 * What ending a task came to: the issuer's answer, or the last error after every retry failed.
 *
 * @param response the issuer's answer; null when it could not be reached for the whole retry window
 * @param attempts how many end calls were made
 * @param failure what went wrong last; null when {@code response} is set
 * @param verifiedReceipt the revocation receipt once it verified under the log key; null when not checked or invalid
 * @param receiptFailure why the receipt did not verify; null when it did or was not checked
 */
public record EndResult(
    String taskId,
    String requestedOutcome,
    EndTaskResponse response,
    int attempts,
    IssuerException failure,
    RevocationReceipt verifiedReceipt,
    String receiptFailure) {

  /** A result whose receipt has not been checked. */
  public EndResult(String taskId, String requestedOutcome, EndTaskResponse response, int attempts, IssuerException failure) {
    this(taskId, requestedOutcome, response, attempts, failure, null, null);
  }

  public boolean ended() {
    return response != null;
  }

  /** The signed revocation receipt as the issuer returned it (a DSSE envelope), or null. */
  public JsonNode receipt() {
    return response == null ? null : response.receipt();
  }

  /** Where the task's evidence bundle is served, or null. */
  public String evidenceUrl() {
    return response == null ? null : response.evidenceUrl();
  }

  /**
   * This result with its receipt checked against the log's verifier key: signed by that key, for this task, its
   * {@code task.ended} leaf inside the signed checkpoint it names. Never throws; see {@link #receiptFailure()}.
   */
  public EndResult withReceiptVerifiedBy(NoteKey key) {
    if (response == null) {
      return this;
    }
    if (response.receipt() == null || !response.receipt().isObject()) {
      return withReceipt(null, "the issuer returned no receipt");
    }
    try {
      RevocationReceipt r = EvidenceVerifier.verifyReceipt(CanonicalJson.bytes(response.receipt()), key);
      if (!r.taskId().equals(taskId)) {
        return withReceipt(null, "the receipt is for another task");
      }
      return withReceipt(r, null);
    } catch (InvalidEvidenceException | IllegalArgumentException e) {
      return withReceipt(null, e.getMessage());
    }
  }

  /** True when the receipt was checked and verified. */
  public boolean receiptVerified() {
    return verifiedReceipt != null;
  }

  private EndResult withReceipt(RevocationReceipt r, String problem) {
    return new EndResult(taskId, requestedOutcome, response, attempts, failure, r, problem);
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
