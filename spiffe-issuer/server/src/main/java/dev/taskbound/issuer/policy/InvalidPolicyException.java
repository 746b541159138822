package dev.taskbound.issuer.policy;

/** A policy file (or rule) that cannot be used; the message names the rule and what is wrong with it. */
public final class InvalidPolicyException extends Exception {
  public InvalidPolicyException(String message) {
    super(message);
  }

  public InvalidPolicyException(String message, Throwable cause) {
    super(message, cause);
  }
}
