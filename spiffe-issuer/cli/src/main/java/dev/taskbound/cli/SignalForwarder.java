package dev.taskbound.cli;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;

/**
 * Passes SIGINT and SIGTERM on to the step's process. {@code sun.misc.Signal} rather than a shutdown hook: a hook
 * runs while the JVM is already exiting, so it can neither tell which signal came nor wait for the child to stop
 * before ending the task with the right outcome and exit status. Handling the signal keeps the JVM alive; we
 * forward it with {@code kill -s <SIG>} (the JDK can only send SIGTERM/SIGKILL itself), and escalate to SIGKILL
 * when the child is still running after the grace period.
 */
final class SignalForwarder {
  private final AtomicReference<Process> child = new AtomicReference<>();
  private final long graceMillis;
  private final AtomicReference<String> received = new AtomicReference<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "taskbound-kill-timer");
    t.setDaemon(true);
    return t;
  });

  private SignalForwarder(long graceMillis) {
    this.graceMillis = graceMillis;
  }

  /** Installed before the child starts, so no signal finds the JVM without its handler; {@link #attach} the child. */
  static SignalForwarder install(java.time.Duration grace) {
    SignalForwarder f = new SignalForwarder(grace.toMillis());
    for (String name : new String[] {"INT", "TERM"}) {
      Signal.handle(new Signal(name), f::onSignal);
    }
    return f;
  }

  /** The step's process: a signal that came before it started is passed on now. */
  void attach(Process process) {
    child.set(process);
    String early = received.get();
    if (early != null) {
      forward(process, early, true);
    }
  }

  /** The first signal we got ({@code INT}/{@code TERM}), or null. */
  String received() {
    return received.get();
  }

  static int number(String signal) {
    return "INT".equals(signal) ? 2 : 15;
  }

  private void onSignal(Signal signal) {
    boolean first = received.compareAndSet(null, signal.getName());
    Process process = child.get();
    if (process != null) {
      forward(process, signal.getName(), first);
    }
  }

  private void forward(Process process, String signal, boolean first) {
    try {
      new ProcessBuilder("kill", "-s", signal, Long.toString(process.pid())).inheritIO().start().waitFor();
    } catch (IOException e) {
      process.destroy();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroy();
    }
    if (first) {
      timer.schedule(() -> {
        if (process.isAlive()) {
          process.destroyForcibly();
        }
      }, graceMillis, TimeUnit.MILLISECONDS);
    }
  }

  void close() {
    timer.shutdownNow();
  }
}
