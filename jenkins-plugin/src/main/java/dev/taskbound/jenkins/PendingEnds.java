package dev.taskbound.jenkins;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.IssuerTls;
import hudson.Extension;
import hudson.model.AsyncPeriodicWork;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.security.ACL;
import hudson.security.ACLContext;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every minute (and soon after start-up), ends what {@link TaskRegistry} says is still open: ends that were cut
 * off (an interrupt, the issuer unreachable for the step's whole retry window, a controller crash), and tasks of
 * builds that are gone (a job deleted while it ran, a Pipeline that could not resume), as {@code aborted}.
 */
@Extension
public final class PendingEnds extends AsyncPeriodicWork {
  private static final Logger LOGGER = Logger.getLogger(PendingEnds.class.getName());

  public PendingEnds() {
    super("Taskbound pending task ends");
  }

  @Override
  public long getRecurrencePeriod() {
    return TimeUnit.MINUTES.toMillis(1);
  }

  @Override
  public long getInitialDelay() {
    return TimeUnit.SECONDS.toMillis(15);
  }

  @Override
  protected Level getNormalLoggingLevel() {
    return Level.FINE;
  }

  @Override
  protected void execute(TaskListener listener) {
    TaskRegistry registry = TaskRegistry.get();
    for (TaskRegistry.Entry e : registry.snapshot()) {
      if (e.taskId == null) {
        continue;
      }
      try {
        if (e.outcome == null) {
          if (buildIsRunning(e.run)) {
            continue; // the step ends it
          }
          registry.ending(e.taskId, TaskOutcome.ABORTED.wire(), "the build is gone");
          e.outcome = TaskOutcome.ABORTED.wire();
          e.reason = "the build is gone";
        } else if (WithTaskIdentityStep.Execution.isEnding(e.taskId)) {
          continue; // its step is on it right now
        }
        end(registry, e);
      } catch (IOException x) {
        LOGGER.log(Level.WARNING, "Taskbound: cannot update the task registry", x);
      }
    }
  }

  /** Looked up as SYSTEM: an item the periodic thread's own authentication cannot see is not a build that is gone. */
  private static boolean buildIsRunning(String runId) {
    if (runId == null) {
      return true; // not known which build: leave it to its step, or to the issuer's heartbeat
    }
    try (ACLContext ignored = ACL.as2(ACL.SYSTEM2)) {
      Run<?, ?> run = Run.fromExternalizableId(runId);
      return run != null && run.isBuilding();
    }
  }

  private static void end(TaskRegistry registry, TaskRegistry.Entry e) throws IOException {
    IssuerClient client = new IssuerClient(
        e.issuerUrl, IssuerTls.httpClient(TaskboundConfiguration.get().getTrustedCertificates()), Clock.systemUTC(), Duration.ofSeconds(30));
    try {
      client.end(e.taskId, e.controlToken.getPlainText(), e.outcome, e.reason);
      registry.ended(e.taskId);
      LOGGER.info(() -> "Taskbound: ended task " + e.taskId + " (" + e.outcome + ") after " + (e.attempts + 1) + " attempt(s)");
    } catch (IssuerException x) {
      if (!x.retryable()) {
        // The issuer refuses for good (the task is unknown there, its token no longer valid): nothing left to end.
        registry.ended(e.taskId);
        LOGGER.warning(() -> "Taskbound: gave up ending task " + e.taskId + ": " + x.getMessage());
      } else {
        registry.endFailed(e.taskId, x.getMessage());
        LOGGER.log(e.attempts % 10 == 0 ? Level.WARNING : Level.FINE,
            "Taskbound: task " + e.taskId + " is still not ended (attempt " + (e.attempts + 1) + "): " + x.getMessage());
      }
    }
  }
}
