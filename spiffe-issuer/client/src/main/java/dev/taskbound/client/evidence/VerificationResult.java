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

  /**
   * An approval request that never became a task (denied, expired or withdrawn): every signature and inclusion proof
   * verifies and the one failed check is that no task ended — because none began. Its bundle shows who asked and who
   * decided; there is no credential to account for.
   */
  public boolean approvalWithoutTask() {
    if (statement == null || failures.size() != 1 || failures.get(0).check() != Check.TASK_NOT_ENDED || !statement.credentials().isEmpty()) {
      return false;
    }
    boolean requested = false;
    boolean closed = false;
    for (LoggedEvent e : statement.entries()) {
      switch (e.type()) {
        case EvidenceFormat.APPROVAL_REQUESTED -> requested = true;
        case EvidenceFormat.APPROVAL_DENIED, EvidenceFormat.APPROVAL_EXPIRED, EvidenceFormat.APPROVAL_WITHDRAWN -> closed = true;
        case EvidenceFormat.APPROVAL_GRANTED -> { }
        default -> {
          return false; // anything else (task.begun …) means a task did exist
        }
      }
    }
    return requested && closed;
  }
}
