package dev.taskbound.issuer.evidence;

/**
 * The evidence log could not record or prove something. Callers must treat it as "not recorded": a credential
 * whose events failed to append is never released (fail closed).
 */
public final class EvidenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EvidenceException(String message) {
    super(message);
  }

  public EvidenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
