package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/** {@code 201} answer to {@code POST /v1/tasks}. {@code control_token} authorises renew and end. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BeginTaskResponse(
    @JsonProperty("task_id") String taskId,
    @JsonProperty("spiffe_id") String spiffeId,
    @JsonProperty("expires_at") Instant expiresAt,
    @JsonProperty("renew_after") Instant renewAfter,
    @JsonProperty("x509_svid_chain_pem") String x509SvidChainPem,
    @JsonProperty("jwt_svids") List<JwtSvidCredential> jwtSvids,
    @JsonProperty("bundle_pem") String bundlePem,
    @JsonProperty("control_token") String controlToken,
    EvidenceRef evidence) {
  @Override
  public String toString() {
    return "BeginTaskResponse[taskId=" + taskId + ", spiffeId=" + spiffeId + ", expiresAt=" + expiresAt + "]";
  }
}
