package dev.taskbound.api;

/** {@code POST /v1/tasks/{id}/end}: {@code outcome} is one of succeeded, failed, aborted, timed_out. */
public record EndTaskRequest(String outcome, String reason) {}
