package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * How a task ended. Clients report the first four; the issuer's reaper uses {@link #ABANDONED} (heartbeat
 * missed) and {@link #EXPIRED} (max lifetime passed); operators use {@link #REVOKED}.
 */
public enum TaskOutcome {
  SUCCEEDED,
  FAILED,
  ABORTED,
  TIMED_OUT,
  ABANDONED,
  EXPIRED,
  REVOKED;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a wire value; {@code null} when unknown. */
  @JsonCreator
  public static TaskOutcome fromWire(String value) {
    if (value == null) {
      return null;
    }
    for (TaskOutcome o : values()) {
      if (o.wire().equals(value)) {
        return o;
      }
    }
    return null;
  }

  /** Whether a CI adapter may report this outcome through {@code POST /v1/tasks/{id}/end}. */
  public boolean reportableByClient() {
    return this == SUCCEEDED || this == FAILED || this == ABORTED || this == TIMED_OUT;
  }
}
