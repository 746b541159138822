package dev.taskbound.issuer.attest;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.store.BundleKeyRecord;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test double until the SQLite store lands: the replay cache and controller registry only. State is kept per
 * path, so closing and reopening "the same store" keeps it, as a database would.
 */
final class InMemoryStore implements Store {
  private static final Map<Path, State> STATES = new ConcurrentHashMap<>();

  private static final class State {
    final Map<String, Instant> jtis = new ConcurrentHashMap<>();
    final Map<String, ControllerRecord> controllers = new TreeMap<>();
  }

  private final State state;

  private InMemoryStore(State state) {
    this.state = state;
  }

  static Store open(Path path) {
    return new InMemoryStore(STATES.computeIfAbsent(path.toAbsolutePath(), p -> new State()));
  }

  @Override
  public synchronized boolean rememberJti(String issuer, String jti, Instant expiresAt, Instant now) {
    String key = issuer + "\n" + jti;
    Instant previous = state.jtis.get(key);
    if (previous != null && previous.isAfter(now)) {
      return false;
    }
    state.jtis.put(key, expiresAt);
    return true;
  }

  @Override
  public void putController(ControllerRecord controller) {
    synchronized (state) {
      state.controllers.put(controller.name(), controller);
    }
  }

  @Override
  public Optional<ControllerRecord> findController(String name) {
    synchronized (state) {
      return Optional.ofNullable(state.controllers.get(name));
    }
  }

  @Override
  public List<ControllerRecord> listControllers() {
    synchronized (state) {
      return new ArrayList<>(state.controllers.values());
    }
  }

  @Override
  public boolean removeController(String name) {
    synchronized (state) {
      return state.controllers.remove(name) != null;
    }
  }

  @Override
  public void close() {}

  // ---- not needed by attestors -----------------------------------------------------------------------------

  @Override
  public void insertTask(TaskRecord task, List<CredentialRecord> credentials) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Optional<TaskRecord> findTask(String taskId) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<TaskRecord> listTasks(TaskState s, int limit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean recordRenewal(String taskId, Instant renewedAt, List<CredentialRecord> credentials) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Optional<TaskRecord> endTask(String taskId, TaskOutcome outcome, String reason, Instant endedAt) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<CredentialRecord> credentialsOf(String taskId) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<TaskRecord> overdueTasks(Instant heartbeatDeadline, Instant now, int limit) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<BundleKeyRecord> bundleKeys() {
    throw new UnsupportedOperationException();
  }

  @Override
  public long putBundleKey(BundleKeyRecord key) {
    throw new UnsupportedOperationException();
  }

  @Override
  public long removeBundleKey(String kid) {
    throw new UnsupportedOperationException();
  }

  @Override
  public long bundleSequence() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void insertOneTimeToken(String tokenSha256, String purpose, Instant expiresAt) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean consumeOneTimeToken(String tokenSha256, String purpose, Instant now) {
    throw new UnsupportedOperationException();
  }
}
