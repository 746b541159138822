package dev.taskbound.client;

import dev.taskbound.api.JwtSvidCredential;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A step's credentials as the caller of the issuer sees them after begin or renew: what to keep (ids, times, the
 * control token) and what to deliver ({@link #files()}). Not serializable on purpose: an adapter persists the
 * fields it needs, with the control token encrypted.
 *
 * @param downstream the tokens exchanged this time (at begin: one per exchange audience; at renewal: those refreshed)
 * @param failedExchanges downstream audience → why its refresh was refused (renewals only; its old token stays)
 * @param files the SVID contents to write where the key lives
 * @param written where they were written
 * @param controlToken authorises renew and end; stays with the caller, never sent to the step
 */
public record StepCredentials(
    String taskId,
    String spiffeId,
    Instant expiresAt,
    Instant renewAfter,
    String controlToken,
    Svids svids,
    List<DownstreamToken> downstream,
    Map<String, String> failedExchanges,
    SvidFiles files,
    WrittenFiles written) {

  public StepCredentials {
    downstream = List.copyOf(downstream);
    failedExchanges = Map.copyOf(failedExchanges);
  }

  /** The tokens a console must mask: the control token, every JWT-SVID and downstream token of this issuance. */
  public Set<String> secretsToMask() {
    Set<String> secrets = new LinkedHashSet<>();
    if (controlToken != null) {
      secrets.add(controlToken);
    }
    for (JwtSvidCredential jwt : svids.jwtSvids()) {
      secrets.add(jwt.token());
    }
    for (DownstreamToken t : downstream) {
      secrets.add(t.token());
    }
    return secrets;
  }

  @Override
  public String toString() {
    return "StepCredentials[" + taskId + ", " + spiffeId + ", expiresAt=" + expiresAt + "]";
  }
}
