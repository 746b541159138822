package dev.taskbound.client;

import dev.taskbound.api.EndTaskResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Ends a task, retrying an unreachable (or 5xx) issuer with exponential backoff for a bounded time. End is
 * idempotent at the issuer, so a retry after a lost answer is harmless. When the window closes the task stays
 * active at the issuer until its reaper sees the heartbeat lapse; the caller reports that.
 */
public final class EndRetry {
  /** How the retry loop waits; tests pass one that does not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final IssuerClient client;
  private final Backoff backoff;
  private final Duration retryFor;
  private final Clock clock;
  private final Sleeper sleeper;

  public EndRetry(IssuerClient client, Backoff backoff, Duration retryFor, Clock clock, Sleeper sleeper) {
    this.client = client;
    this.backoff = backoff;
    this.retryFor = retryFor;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  public EndRetry(IssuerClient client, Backoff backoff, Duration retryFor, Clock clock) {
    this(client, backoff, retryFor, clock, d -> Thread.sleep(d.toMillis()));
  }

  public EndResult end(String taskId, String controlToken, String outcome, String reason) {
    Instant deadline = clock.instant().plus(retryFor);
    int attempts = 0;
    while (true) {
      attempts++;
      try {
        EndTaskResponse response = client.end(taskId, controlToken, outcome, reason);
        return new EndResult(taskId, outcome, response, attempts, null);
      } catch (IssuerException e) {
        Duration wait = backoff.delayAfter(attempts);
        if (!e.retryable() || clock.instant().plus(wait).isAfter(deadline)) {
          return new EndResult(taskId, outcome, null, attempts, e);
        }
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return new EndResult(taskId, outcome, null, attempts, e);
        }
      }
    }
  }
}
