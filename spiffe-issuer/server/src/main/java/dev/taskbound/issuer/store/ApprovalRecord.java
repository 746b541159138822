package dev.taskbound.issuer.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An approval request as stored: who asked ({@code requester}, the attested actor, may be null), what policy
 * decided (kept so the approved task is issued as the begin would have issued it), the task key and the reserved
 * {@code taskId}. {@code requestTokenSha256} is the hex SHA-256 of the caller's request token (never the token).
 * {@code approvedBy} lists the approvers so far, in order.
 */
public record ApprovalRecord(
    String approvalId,
    String taskId,
    ApprovalState state,
    String approvers,
    int minApprovers,
    String requester,
    String requestTokenSha256,
    String attestor,
    String attestationSha256,
    Map<String, String> context,
    String publicKeyJwk,
    String publicKeyThumbprint,
    List<String> audiences,
    Duration requestedTtl,
    String spiffeId,
    String policyRule,
    String policyVersion,
    Duration ttlCap,
    List<String> downstreamAudiences,
    Integer maxExchanges,
    Instant createdAt,
    Instant expiresAt,
    Instant decidedAt,
    String decidedBy,
    String reason,
    List<String> approvedBy) {

  public ApprovalRecord {
    context = Map.copyOf(context);
    audiences = List.copyOf(audiences);
    downstreamAudiences = List.copyOf(downstreamAudiences);
    approvedBy = approvedBy == null ? List.of() : List.copyOf(approvedBy);
  }

  /** Open but past {@code expiresAt} at {@code now}: to be recorded as expired. */
  public boolean overdue(Instant now) {
    return state.open() && !now.isBefore(expiresAt);
  }
}
