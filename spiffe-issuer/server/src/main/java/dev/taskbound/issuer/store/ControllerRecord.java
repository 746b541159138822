package dev.taskbound.issuer.store;

import java.time.Instant;

/**
 * A Jenkins controller registered by an operator. Its run statements verify against {@code jwksJson} (inline
 * public keys) or the keys at {@code jwksUrl}; exactly one is set.
 */
public record ControllerRecord(String name, String jwksJson, String jwksUrl, Instant registeredAt) {}
