package dev.taskbound.issuer.attest;

/** An attestation was refused. The message names the reason (expired, wrong audience …), never the token. */
public class AttestationException extends RuntimeException {
  public AttestationException(String message) {
    super(message);
  }

  public AttestationException(String message, Throwable cause) {
    super(message, cause);
  }
}
