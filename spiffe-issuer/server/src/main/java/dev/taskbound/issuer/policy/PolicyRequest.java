package dev.taskbound.issuer.policy;

import java.time.Duration;
import java.util.List;

/** What the caller asked for: JWT-SVID audiences and a task lifetime (null when unspecified). */
public record PolicyRequest(List<String> audiences, Duration ttl) {
  public PolicyRequest {
    audiences = List.copyOf(audiences);
  }
}
