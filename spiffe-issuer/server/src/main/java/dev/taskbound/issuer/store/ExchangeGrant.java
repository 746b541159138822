package dev.taskbound.issuer.store;

import java.util.List;
import java.util.Objects;

/**
 * What the policy decision at begin allowed a task to exchange its SVIDs for: the downstream {@code audiences},
 * at most {@code maxExchanges} times (null: no limit, the dev policy), and how many exchanges it has made.
 */
public record ExchangeGrant(String taskId, List<String> audiences, Integer maxExchanges, int exchanges) {
  public ExchangeGrant {
    Objects.requireNonNull(taskId, "taskId");
    audiences = List.copyOf(audiences);
    if (maxExchanges != null && maxExchanges < 0) {
      throw new IllegalArgumentException("maxExchanges must not be negative");
    }
  }

  /** A fresh grant, no exchange made yet. */
  public static ExchangeGrant of(String taskId, List<String> audiences, Integer maxExchanges) {
    return new ExchangeGrant(taskId, audiences, maxExchanges, 0);
  }
}
