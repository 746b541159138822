package dev.taskbound.api;

/**
 * The stable problem types of the API, each with its HTTP status. Clients branch on {@link #uri()}, never on the
 * human {@code detail}.
 */
public enum ProblemType {
  MALFORMED_REQUEST(400, "Malformed request"),
  INVALID_KEY(400, "Invalid task public key"),
  INVALID_PROOF(400, "Invalid proof of possession"),
  INVALID_OUTCOME(400, "Invalid task outcome"),
  ATTESTATION_FAILED(401, "Attestation failed"),
  UNAUTHORIZED(401, "Missing or wrong control token"),
  POLICY_DENIED(403, "Denied by policy"),
  NOT_AUTHENTICATED(401, "Authentication required"),
  FORBIDDEN(403, "Not allowed for this role"),
  NOT_FOUND(404, "Not found"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  TASK_NOT_ACTIVE(409, "Task is not active"),
  APPROVAL_PENDING(409, "Approval still pending"),
  APPROVAL_DENIED(403, "Approval denied"),
  APPROVAL_EXPIRED(410, "Approval request expired"),
  APPROVAL_WITHDRAWN(410, "Approval request withdrawn"),
  APPROVAL_NOT_OPEN(409, "Approval request not open for this"),
  EXPIRY_BEYOND_MAXIMUM(400, "Expiry beyond the configured maximum"),
  EXCEPTION_NOT_OPEN(409, "Standing exception not open for this"),
  PAYLOAD_TOO_LARGE(413, "Request body too large"),
  UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
  EVIDENCE_UNAVAILABLE(503, "Evidence log unavailable"),
  STORE_UNAVAILABLE(503, "Store unavailable"),
  INTERNAL(500, "Internal error");

  private static final String BASE = "https://taskbound.dev/problems/";
  private final int status;
  private final String title;

  ProblemType(int status, String title) {
    this.status = status;
    this.title = title;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public String uri() {
    return BASE + name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  public Problem problem(String detail, String instance) {
    return new Problem(uri(), title, status, detail, instance);
  }
}
