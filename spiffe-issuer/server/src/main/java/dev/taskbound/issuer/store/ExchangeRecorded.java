package dev.taskbound.issuer.store;

/** The answer of {@link Store#recordExchange}: counted and recorded, or why nothing changed. */
public enum ExchangeRecorded {
  RECORDED,
  /** The task has ended, reached its lifetime, or does not exist. */
  TASK_NOT_ACTIVE,
  /** The task has no grant or has used all its exchanges. */
  LIMIT_REACHED
}
