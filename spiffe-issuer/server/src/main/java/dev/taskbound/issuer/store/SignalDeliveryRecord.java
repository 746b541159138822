package dev.taskbound.issuer.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One Security Event Token waiting to be pushed to one receiver. {@code set} is the signed SET (compact JWS); it
 * carries identifiers and event facts, never a credential. {@code attempts} counts sends started so far.
 */
public record SignalDeliveryRecord(
    String deliveryId,
    String receiverUrl,
    String taskId,
    String set,
    int attempts,
    Instant createdAt,
    Instant nextAttemptAt) {

  public SignalDeliveryRecord {
    Objects.requireNonNull(deliveryId, "deliveryId");
    Objects.requireNonNull(receiverUrl, "receiverUrl");
    Objects.requireNonNull(taskId, "taskId");
    Objects.requireNonNull(set, "set");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
  }
}
