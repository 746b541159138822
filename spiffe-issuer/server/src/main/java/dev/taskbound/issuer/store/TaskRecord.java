package dev.taskbound.issuer.store;

import dev.taskbound.api.TaskOutcome;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A task as stored. {@code controlTokenSha256} is the hex SHA-256 of the control token (the token is never
 * stored). {@code publicKeyJwk} is the task's public JWK (JSON); its RFC 7638 thumbprint is
 * {@code publicKeyThumbprint}.
 */
public record TaskRecord(
    String taskId,
    TaskState state,
    String spiffeId,
    String attestor,
    Map<String, String> context,
    String policyRule,
    String policyVersion,
    String publicKeyJwk,
    String publicKeyThumbprint,
    String controlTokenSha256,
    List<String> audiences,
    Instant createdAt,
    Instant expiresAt,
    Instant lastRenewedAt,
    Instant endedAt,
    TaskOutcome outcome,
    String endReason) {

  public TaskRecord {
    context = Map.copyOf(context);
    audiences = List.copyOf(audiences);
  }

  public boolean active() {
    return state == TaskState.ACTIVE;
  }
}
