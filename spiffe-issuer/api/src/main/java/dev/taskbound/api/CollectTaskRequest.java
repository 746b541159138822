package dev.taskbound.api;

/**
 * Body of {@code POST /v1/approvals/{id}/task}: a fresh proof of possession by the key given with the original
 * begin, its {@code attestation_sha256} claim replaced by {@code approval_id} (see {@link ProofOfPossession}).
 */
public record CollectTaskRequest(String proof) {
  @Override
  public String toString() {
    return "CollectTaskRequest[proof=…]";
  }
}
