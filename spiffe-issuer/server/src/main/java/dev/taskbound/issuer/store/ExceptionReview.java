package dev.taskbound.issuer.store;

import java.time.Instant;

/**
 * One review of a standing exception: who, when, with what note, the expiry it found ({@code previousExpiresAt})
 * and the one it left ({@code expiresAt}; the same unless the review moved it). {@code version} is the exception's
 * version the review made.
 */
public record ExceptionReview(
    String exceptionId, int version, Instant reviewedAt, ExceptionRecord.Actor reviewedBy, String note,
    Instant previousExpiresAt, Instant expiresAt) {}
