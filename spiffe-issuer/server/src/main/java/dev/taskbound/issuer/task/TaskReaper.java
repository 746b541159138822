package dev.taskbound.issuer.task;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import dev.taskbound.issuer.store.TaskRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends the tasks nobody will end: those that missed their heartbeat (no renewal within {@code heartbeat}) as
 * {@code abandoned}, those past their maximum lifetime as {@code expired}. It goes through
 * {@link TaskLifecycle#endAsOperator}, so the same revocation and end listeners (CRL, Shared Signals) run. Safe on
 * several replicas at once: the store ends a task only while it is active, and a task already ended by someone
 * else is simply skipped.
 */
public final class TaskReaper {
  private static final Logger LOG = LoggerFactory.getLogger(TaskReaper.class);
  /** Bounds one pass, so a backlog (or a task that cannot be ended) never holds the scheduler thread for long. */
  private static final int MAX_BATCHES_PER_PASS = 10;

  private final TaskLifecycle tasks;
  private final Store store;
  private final Duration heartbeat;
  private final Clock clock;
  private final int batchSize;

  /** What one pass did. */
  public record Pass(int abandoned, int expired, int failed) {
    public int ended() {
      return abandoned + expired;
    }
  }

  public TaskReaper(TaskLifecycle tasks, Store store, Duration heartbeat, Clock clock, int batchSize) {
    this.tasks = Objects.requireNonNull(tasks, "tasks");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (heartbeat == null || heartbeat.isNegative() || heartbeat.isZero()) {
      throw new IllegalArgumentException("the heartbeat window must be a positive duration");
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive: " + batchSize);
    }
    this.heartbeat = heartbeat;
    this.batchSize = batchSize;
  }

  /** One pass over every overdue task (in batches, bounded). */
  public Pass reap() {
    int abandoned = 0;
    int expired = 0;
    int failed = 0;
    for (int batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      Instant now = clock.instant();
      List<TaskRecord> overdue = store.overdueTasks(now.minus(heartbeat), now, batchSize);
      int endedInBatch = 0;
      for (TaskRecord task : overdue) {
        Optional<TaskOutcome> ended = end(task, now);
        if (ended.isEmpty()) {
          failed++;
        } else if (ended.get() == TaskOutcome.EXPIRED) {
          expired++;
          endedInBatch++;
        } else {
          abandoned++;
          endedInBatch++;
        }
      }
      // A short batch was the last one; a batch that ended nothing would only fetch the same tasks again.
      if (overdue.size() < batchSize || endedInBatch == 0) {
        break;
      }
    }
    if (abandoned + expired + failed > 0) {
      LOG.info("reaper: {} abandoned, {} expired, {} could not be ended", abandoned, expired, failed);
    }
    return new Pass(abandoned, expired, failed);
  }

  /** {@link #reap} for a scheduler: a failure is logged and the next pass tries again. */
  public void reapQuietly() {
    try {
      reap();
    } catch (RuntimeException e) {
      LOG.error("reaper pass failed; the next pass retries", e);
    }
  }

  private Optional<TaskOutcome> end(TaskRecord task, Instant now) {
    boolean expired = !now.isBefore(task.expiresAt());
    TaskOutcome outcome = expired ? TaskOutcome.EXPIRED : TaskOutcome.ABANDONED;
    Instant lastSign = task.lastRenewedAt() != null ? task.lastRenewedAt() : task.createdAt();
    String reason =
        expired
            ? "maximum lifetime reached at " + task.expiresAt()
            : "no heartbeat since " + lastSign + " (window " + heartbeat + ")";
    try {
      tasks.endAsOperator(task.taskId(), outcome, reason);
      return Optional.of(outcome);
    } catch (TaskException | StoreException e) {
      LOG.warn("reaper could not end task {}: {}", task.taskId(), e.getMessage());
      return Optional.empty();
    }
  }
}
