package dev.taskbound.issuer.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the policy from a file current. {@link #reload()} rereads the file and, when its SHA-256 changed and the new
 * content is valid, swaps it in; an invalid file never replaces the valid one. {@link #start} calls {@code reload}
 * on a schedule; tests call it directly.
 *
 * <p>Polling the content hash (rather than a WatchService) also catches the atomic symlink swaps a Kubernetes
 * ConfigMap mount makes, and costs one small file read per interval.
 */
public final class PolicyWatcher implements Supplier<Policy>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyWatcher.class);

  private final Path file;
  private final PolicyListener listener;
  private volatile Policy current;
  private String lastRejected;
  private ScheduledExecutorService scheduler;

  private PolicyWatcher(Path file, PolicyListener listener, Policy initial) {
    this.file = file;
    this.listener = listener;
    this.current = initial;
  }

  /**
   * Loads the file once; the issuer should not start on a policy it cannot read.
   *
   * @throws IOException if the file cannot be read
   * @throws InvalidPolicyException if it is not a valid policy
   */
  public static PolicyWatcher open(Path file, PolicyListener listener) throws IOException, InvalidPolicyException {
    Objects.requireNonNull(listener, "listener");
    Policy initial = Policy.parse(Files.readAllBytes(file));
    PolicyWatcher watcher = new PolicyWatcher(file, listener, initial);
    LOG.info("policy {} loaded, version {}", file, initial.version());
    initial.warnings().forEach(w -> LOG.warn("policy {}: {}", file, w));
    listener.onLoaded(initial);
    return watcher;
  }

  /** The policy in force. */
  public Policy current() {
    return current;
  }

  @Override
  public Policy get() {
    return current;
  }

  /**
   * Rereads the file; swaps in its content if it changed and is valid.
   *
   * @return true when a new version took effect
   */
  public synchronized boolean reload() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      LOG.warn("policy {} unreadable ({}); keeping version {}", file, e.toString(), current.version());
      return false;
    }
    String version = Policy.sha256Hex(bytes);
    if (version.equals(current.version()) || version.equals(lastRejected)) {
      return false;
    }
    try {
      Policy next = Policy.parse(bytes);
      current = next;
      lastRejected = null;
      LOG.info("policy {} reloaded, version {}", file, version);
      next.warnings().forEach(w -> LOG.warn("policy {}: {}", file, w));
      listener.onLoaded(next);
      return true;
    } catch (InvalidPolicyException e) {
      lastRejected = version;
      LOG.error(
          "policy {} version {} is invalid, keeping version {}: {}", file, version, current.version(), e.getMessage());
      listener.onRejected(version, current.version(), e.getMessage());
      return false;
    }
  }

  /** Polls the file every {@code interval} on a daemon thread until {@link #close()}. */
  public synchronized void start(Duration interval) {
    if (scheduler != null) {
      throw new IllegalStateException("already started");
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "policy-watcher");
              thread.setDaemon(true);
              return thread;
            });
    long millis = interval.toMillis();
    scheduler.scheduleWithFixedDelay(this::reloadQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      scheduler = null;
    }
  }

  private void reloadQuietly() {
    try {
      reload();
    } catch (RuntimeException e) {
      // A throwing task would silently cancel every later poll.
      LOG.error("policy {} reload failed; keeping version {}", file, current.version(), e);
    }
  }
}
