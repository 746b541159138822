package dev.taskbound.client.evidence;

/** Evidence that cannot be parsed or does not verify; the message names what was wrong, never a key. */
public final class InvalidEvidenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidEvidenceException(String message) {
    super(message);
  }

  public InvalidEvidenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
