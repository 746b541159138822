package dev.taskbound.client.evidence;

import java.util.List;

/**
 * The outcome of verifying a bundle: every failed check, named. Valid only when there are none; the statement
 * and checkpoint are present when they could be read (even if later checks failed).
 */
public record VerificationResult(List<Failure> failures, TaskStatement statement, Checkpoint checkpoint) {

  /** What was checked. */
  public enum Check {
    BUNDLE_FORMAT,
    ENVELOPE_SIGNATURE,
    CHECKPOINT_SIGNATURE,
    STATEMENT,
    INCLUSION_PROOF,
    TASK_NOT_ENDED,
    CREDENTIAL_OPEN_AFTER_END,
    CONSISTENCY_PROOF
  }

  /** One failed check and what exactly failed. */
  public record Failure(Check check, String detail) {}

  public VerificationResult {
    failures = List.copyOf(failures);
  }

  public boolean valid() {
    return failures.isEmpty();
  }
}
