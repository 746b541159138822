package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/** A credential of a task as the API shows it: identifiers and times, never the credential itself. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CredentialView(
    String kind,
    String id,
    String audience,
    @JsonProperty("not_before") Instant notBefore,
    @JsonProperty("expires_at") Instant expiresAt,
    @JsonProperty("revoked_at") Instant revokedAt) {}
