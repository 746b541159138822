package dev.taskbound.cli;

import dev.taskbound.client.ApprovalWait;
import dev.taskbound.client.IssuerClient;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * How {@code taskbound begin} and {@code run} wait for approvers: the URL on stderr, long-polling the request, and a
 * Ctrl-C (or SIGTERM) while waiting withdraws the request before the JVM exits.
 */
final class ApprovalConsole {
  private ApprovalConsole() {}

  static ApprovalWait waitFor(IssuerClient client) {
    return new ApprovalWait(
        client,
        ApprovalWait.DEFAULT_POLL,
        a -> System.err.println("taskbound: " + ApprovalWait.waitingLine(a)),
        Clock.systemUTC());
  }

  /** Runs {@code begin} with a shutdown hook that withdraws what {@code approval} is waiting for. */
  static <T> T withdrawnOnExit(ApprovalWait approval, Supplier<T> begin) {
    Thread hook = new Thread(approval::withdraw, "taskbound-withdraw-approval");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return begin.get();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or has run: nothing to remove.
      }
    }
  }
}
