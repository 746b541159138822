package dev.taskbound.issuer.task;

import dev.taskbound.api.ProblemType;

/**
 * A task operation was refused. The one error type of the task boundary: {@link #type()} maps it to one problem
 * type and HTTP status; the message is the problem's {@code detail} and never holds a secret.
 */
public class TaskException extends RuntimeException {
  private final ProblemType type;

  public TaskException(ProblemType type, String detail) {
    super(detail);
    this.type = type;
  }

  public TaskException(ProblemType type, String detail, Throwable cause) {
    super(detail, cause);
    this.type = type;
  }

  public ProblemType type() {
    return type;
  }
}
