package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * Answer to {@code POST /v1/tasks/{id}/end}; the same answer for every repeat of the call. {@code receipt} is the
 * signed revocation receipt (a DSSE envelope), {@code evidence_url} the task's evidence bundle.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EndTaskResponse(
    @JsonProperty("task_id") String taskId,
    String outcome,
    @JsonProperty("ended_at") Instant endedAt,
    List<RevokedCredential> revoked,
    JsonNode receipt,
    @JsonProperty("evidence_url") String evidenceUrl) {}
