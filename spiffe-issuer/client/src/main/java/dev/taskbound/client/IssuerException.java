package dev.taskbound.client;

import dev.taskbound.api.Problem;

/**
 * The issuer refused a request (with an RFC 9457 problem) or could not be reached ({@link #problem()} null,
 * {@link #status()} 0). Adapters branch on {@link #problem()}{@code .type()}.
 */
public class IssuerException extends RuntimeException {
  private final int status;
  private final transient Problem problem;

  public IssuerException(int status, Problem problem, String message) {
    super(message);
    this.status = status;
    this.problem = problem;
  }

  public IssuerException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
    this.problem = null;
  }

  public int status() {
    return status;
  }

  public Problem problem() {
    return problem;
  }

  /** True when the issuer could not be reached or answered 5xx: worth retrying. */
  public boolean retryable() {
    return status == 0 || status >= 500;
  }
}
