package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** {@code GET /v1/tasks/{id}}: state and credential identifiers of a task. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskView(
    @JsonProperty("task_id") String taskId,
    String state,
    String outcome,
    @JsonProperty("spiffe_id") String spiffeId,
    String attestor,
    Map<String, String> context,
    @JsonProperty("created_at") Instant createdAt,
    @JsonProperty("expires_at") Instant expiresAt,
    @JsonProperty("last_renewed_at") Instant lastRenewedAt,
    @JsonProperty("ended_at") Instant endedAt,
    List<CredentialView> credentials) {}
