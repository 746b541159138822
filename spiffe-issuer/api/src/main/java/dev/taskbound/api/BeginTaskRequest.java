package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/tasks}. The task key pair is generated where the step runs; only its public half travels, as
 * a JWK, with {@code proof}: a compact JWS signed by that key (see {@link ProofOfPossession}).
 *
 * @param ttl requested task lifetime as an ISO-8601 duration or {@code 15m}/{@code 2h} shorthand; capped by the
 *     issuer
 */
public record BeginTaskRequest(
    Attestation attestation,
    @JsonProperty("public_key") Map<String, Object> publicKey,
    String proof,
    List<String> audiences,
    String ttl) {}
