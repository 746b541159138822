package dev.taskbound.issuer.store;

/**
 * Where an approval request stands: {@code PENDING} until enough approvers approved ({@code APPROVED}), one
 * denied, its caller withdrew it or it expired; {@code ISSUED} once the approved task was collected (once).
 */
public enum ApprovalState {
  PENDING,
  APPROVED,
  DENIED,
  EXPIRED,
  WITHDRAWN,
  ISSUED;

  /** Still open: it can be decided, withdrawn or (when approved) collected. */
  public boolean open() {
    return this == PENDING || this == APPROVED;
  }
}
