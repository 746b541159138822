package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/** Answer to {@code POST /v1/tasks/{id}/end}; the same answer for every repeat of the call. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EndTaskResponse(
    @JsonProperty("task_id") String taskId,
    String outcome,
    @JsonProperty("ended_at") Instant endedAt,
    List<RevokedCredential> revoked,
    String receipt,
    @JsonProperty("evidence_url") String evidenceUrl) {}
