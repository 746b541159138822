package dev.taskbound.issuer.policy;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A rule's approval requirement: {@code minApprovers} distinct members of {@code group} (never the requester) must
 * approve within {@code timeout} before the task is issued.
 */
public record ApprovalGate(String group, int minApprovers, Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);
  public static final Duration MAX_TIMEOUT = Duration.ofDays(7);
  private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9._@:/-]{1,128}");

  public ApprovalGate {
    Objects.requireNonNull(group, "group");
    if (!GROUP.matcher(group).matches()) {
      throw new IllegalArgumentException("approval group must be 1-128 characters of [A-Za-z0-9._@:/-]");
    }
    if (minApprovers < 1 || minApprovers > 10) {
      throw new IllegalArgumentException("min_approvers must be between 1 and 10");
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException("approval timeout must be positive and at most 7 days");
    }
  }

  /** {@code approval: group}: one approver, the default timeout. */
  public static ApprovalGate of(String group) {
    return new ApprovalGate(group, 1, DEFAULT_TIMEOUT);
  }
}
