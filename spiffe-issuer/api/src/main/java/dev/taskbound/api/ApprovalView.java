package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * An approval request as its caller sees it: the {@code 202} answer to {@code POST /v1/tasks} under a rule with
 * {@code approval:}, and {@code GET /v1/approvals/{id}}. {@code request_token} is in the {@code 202} only; it
 * authorises polling, withdrawing and collecting the task ({@code Authorization: Bearer}).
 *
 * @param status {@code pending}, {@code approved}, {@code denied}, {@code expired}, {@code withdrawn} or
 *     {@code issued} (the task was collected)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApprovalView(
    @JsonProperty("approval_id") String approvalId,
    String status,
    String approvers,
    @JsonProperty("min_approvers") int minApprovers,
    @JsonProperty("approved_by") List<String> approvedBy,
    @JsonProperty("expires_at") Instant expiresAt,
    String url,
    @JsonProperty("request_token") String requestToken,
    @JsonProperty("denied_by") String deniedBy,
    String reason,
    @JsonProperty("task_id") String taskId) {
  public static final String PENDING = "pending";
  public static final String APPROVED = "approved";

  public ApprovalView {
    approvedBy = approvedBy == null ? List.of() : List.copyOf(approvedBy);
  }

  @Override
  public String toString() {
    return "ApprovalView[approvalId=" + approvalId + ", status=" + status + ", expiresAt=" + expiresAt + "]";
  }
}
