package dev.taskbound.issuer.logging;

import org.slf4j.MDC;

/**
 * The task a thread is serving, as log fields ({@code task_id}, {@code spiffe_id}): JSON lines carry them as fields,
 * so one task's lines can be found without parsing messages. Identifiers only, never a credential. A scope restores
 * what was there before it, so nested scopes (an HTTP request, then the lifecycle inside it) leave a pooled thread
 * as they found it.
 */
public final class TaskLogFields implements AutoCloseable {
  public static final String TASK_ID = "task_id";
  public static final String SPIFFE_ID = "spiffe_id";

  private final String previousTaskId;
  private final String previousSpiffeId;

  private TaskLogFields(String taskId, String spiffeId) {
    previousTaskId = MDC.get(TASK_ID);
    previousSpiffeId = MDC.get(SPIFFE_ID);
    set(TASK_ID, taskId);
    if (spiffeId != null || taskId == null || !taskId.equals(previousTaskId)) {
      // A SPIFFE ID belongs to its task: a scope for another task never inherits the outer one's.
      set(SPIFFE_ID, spiffeId);
    }
  }

  /** Fields for {@code taskId} (and its SPIFFE ID when known, else null) until {@link #close}. */
  public static TaskLogFields of(String taskId, String spiffeId) {
    return new TaskLogFields(taskId, spiffeId);
  }

  /** Adds the SPIFFE ID of the current scope's task once it is read; the scope's close takes it away again. */
  public static void spiffeId(String spiffeId) {
    set(SPIFFE_ID, spiffeId);
  }

  /**
   * Names the task found while serving a request whose path did not (a token exchange names it by its credential);
   * the request's scope, opened by the HTTP handler, takes the fields away again.
   */
  public static void found(String taskId, String spiffeId) {
    set(TASK_ID, taskId);
    set(SPIFFE_ID, spiffeId);
  }

  @Override
  public void close() {
    set(TASK_ID, previousTaskId);
    set(SPIFFE_ID, previousSpiffeId);
  }

  private static void set(String key, String value) {
    if (value == null) {
      MDC.remove(key);
    } else {
      MDC.put(key, value);
    }
  }
}
