package dev.taskbound.issuer.store;

import java.time.Instant;

/**
 * The evidence entry of a change an operator command made to the exception register, waiting for the running issuer
 * to append it: the event {@code type} and its canonical JSON {@code entry}, as built when the change was made.
 */
public record PendingExceptionEvidence(String exceptionId, int version, String type, String entry, Instant createdAt) {}
