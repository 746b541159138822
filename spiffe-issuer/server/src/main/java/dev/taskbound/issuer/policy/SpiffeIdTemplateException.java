package dev.taskbound.issuer.policy;

/** A SPIFFE ID template could not be filled for this context; the engine turns it into a deny. */
public final class SpiffeIdTemplateException extends Exception {
  public SpiffeIdTemplateException(String message) {
    super(message);
  }
}
