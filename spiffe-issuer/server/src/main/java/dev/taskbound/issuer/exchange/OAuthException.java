package dev.taskbound.issuer.exchange;

/**
 * A refused token request, as RFC 6749 §5.2 describes it: an {@code error} code, a description that never holds a
 * token or secret, and the HTTP status (400, or 401 for client authentication).
 */
public final class OAuthException extends RuntimeException {
  private final String error;
  private final int status;

  private OAuthException(String error, String description, int status) {
    super(description);
    this.error = error;
    this.status = status;
  }

  public String error() {
    return error;
  }

  public int status() {
    return status;
  }

  public static OAuthException invalidRequest(String description) {
    return new OAuthException("invalid_request", description, 400);
  }

  public static OAuthException invalidGrant(String description) {
    return new OAuthException("invalid_grant", description, 400);
  }

  public static OAuthException invalidTarget(String description) {
    return new OAuthException("invalid_target", description, 400);
  }

  public static OAuthException unsupportedGrantType(String description) {
    return new OAuthException("unsupported_grant_type", description, 400);
  }

  public static OAuthException invalidClient(String description) {
    return new OAuthException("invalid_client", description, 401);
  }

  /** Stack traces are noise for refusals; the description says what was wrong. */
  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
