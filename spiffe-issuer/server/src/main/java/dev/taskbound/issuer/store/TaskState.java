package dev.taskbound.issuer.store;

/** Lifecycle state of a task: it is born active and ends exactly once. */
public enum TaskState {
  ACTIVE,
  ENDED
}
