package dev.taskbound.client.evidence;

/** Names fixed by the evidence format: media types, in-toto types, event types and their fields. */
public final class EvidenceFormat {
  public static final String BUNDLE_MEDIA_TYPE = "application/vnd.taskbound.evidence-bundle.v1+json";
  public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
  public static final String PREDICATE_TYPE = "https://taskbound.dev/evidence/v1";
  public static final String INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
  public static final String RECEIPT_PAYLOAD_TYPE = "application/vnd.taskbound.revocation-receipt.v1+json";

  // Event types.
  public static final String TASK_BEGUN = "task.begun";
  public static final String CREDENTIAL_ISSUED = "credential.issued";
  public static final String TOKEN_EXCHANGED = "token.exchanged";
  public static final String TASK_RENEWED = "task.renewed";
  public static final String TASK_ENDED = "task.ended";
  public static final String CREDENTIAL_REVOKED = "credential.revoked";
  public static final String POLICY_LOADED = "policy.loaded";
  public static final String KEY_ROTATED = "key.rotated";
  public static final String CONTROLLER_REGISTERED = "controller.registered";
  /** An operator acted through the admin API (e.g. ended a task); names the operator and the reason. */
  public static final String OPERATOR_ACTION = "operator.action";
  /** Approval gates: a begin waits for approvers; then granted (per approver), denied, expired or withdrawn. */
  public static final String APPROVAL_REQUESTED = "approval.requested";
  public static final String APPROVAL_GRANTED = "approval.granted";
  public static final String APPROVAL_DENIED = "approval.denied";
  public static final String APPROVAL_EXPIRED = "approval.expired";
  public static final String APPROVAL_WITHDRAWN = "approval.withdrawn";
  public static final String APPROVAL_ID = "approval_id";
  public static final String APPROVER = "approver";

  // Fields every event has; times are integer epoch seconds.
  public static final String TYPE = "type";
  public static final String TIME = "time";
  public static final String TASK_ID = "task_id";

  // Credential fields (credential.issued, token.exchanged, credential.revoked).
  public static final String KIND = "kind";
  public static final String CREDENTIAL_ID = "credential_id";
  public static final String SPIFFE_ID = "spiffe_id";
  public static final String AUDIENCE = "audience";
  public static final String NOT_BEFORE = "not_before";
  public static final String EXPIRES_AT = "expires_at";
  public static final String REVOKED_AT = "revoked_at";
  public static final String RESIDUAL_EXPOSURE_SECONDS = "residual_exposure_seconds";
  public static final String OUTCOME = "outcome";

  private EvidenceFormat() {}
}
