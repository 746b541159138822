package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/** Answer to {@code POST /v1/tasks/{id}/renew}: fresh SVIDs for the same task key. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RenewTaskResponse(
    @JsonProperty("task_id") String taskId,
    @JsonProperty("spiffe_id") String spiffeId,
    @JsonProperty("expires_at") Instant expiresAt,
    @JsonProperty("renew_after") Instant renewAfter,
    @JsonProperty("x509_svid_chain_pem") String x509SvidChainPem,
    @JsonProperty("jwt_svids") List<JwtSvidCredential> jwtSvids,
    @JsonProperty("bundle_pem") String bundlePem,
    EvidenceRef evidence) {
  @Override
  public String toString() {
    return "RenewTaskResponse[taskId=" + taskId + ", renewAfter=" + renewAfter + "]";
  }
}
