package dev.taskbound.issuer.task;

import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.TaskRecord;
import java.util.List;

/**
 * Told of what the lifecycle decided, for counters (see {@code metrics.IssuerMetrics}); ends go to
 * {@link TaskEndListener}. Calls run on the request's thread and must be cheap and never throw. Arguments are
 * the lifecycle's own values; an observer that tags by them must map them onto closed sets itself.
 */
public interface TaskObserver {
  TaskObserver NONE = new TaskObserver() {};

  /** Where an attestation was refused: the attestor is not enabled, it refused the token, or the token was spent. */
  enum AttestationFailure {
    UNKNOWN_ATTESTOR,
    REFUSED,
    REPLAYED
  }

  default void begun(TaskRecord task, List<CredentialRecord> issued) {}

  default void renewed(String taskId, List<CredentialRecord> issued) {}

  /** Policy said no; {@code reason} is one of {@code Decision}'s deny reasons. */
  default void denied(String attestor, String reason) {}

  default void attestationFailed(String attestor, AttestationFailure failure) {}
}
