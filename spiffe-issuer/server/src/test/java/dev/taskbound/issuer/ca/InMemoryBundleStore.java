package dev.taskbound.issuer.ca;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.store.BundleKeyRecord;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Test double: only the bundle-key part of the store, in memory. Everything else is out of the CA's reach. */
final class InMemoryBundleStore implements Store {
  private final Map<String, BundleKeyRecord> keys = new LinkedHashMap<>();
  private long sequence;

  @Override
  public synchronized List<BundleKeyRecord> bundleKeys() {
    return new ArrayList<>(keys.values());
  }

  @Override
  public synchronized long putBundleKey(BundleKeyRecord key) {
    keys.put(key.kid(), key);
    return ++sequence;
  }

  @Override
  public synchronized long removeBundleKey(String kid) {
    keys.remove(kid);
    return ++sequence;
  }

  @Override
  public synchronized long bundleSequence() {
    return sequence;
  }

  @Override
  public void close() {}

  @Override
  public void insertTask(TaskRecord task, List<CredentialRecord> credentials) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Optional<TaskRecord> findTask(String taskId) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<TaskRecord> listTasks(TaskState state, int limit) {
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
  public void insertOneTimeToken(String tokenSha256, String purpose, Instant expiresAt) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean consumeOneTimeToken(String tokenSha256, String purpose, Instant now) {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean rememberJti(String issuer, String jti, Instant expiresAt, Instant now) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void putController(ControllerRecord controller) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Optional<ControllerRecord> findController(String name) {
    throw new UnsupportedOperationException();
  }

  @Override
  public List<ControllerRecord> listControllers() {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean removeController(String name) {
    throw new UnsupportedOperationException();
  }
}
