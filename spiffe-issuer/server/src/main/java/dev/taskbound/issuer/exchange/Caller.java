package dev.taskbound.issuer.exchange;

import java.util.List;
import java.util.Set;

/**
 * Who called {@code /introspect} or {@code /revoke}: a registered relying party, or a task (by its JWT-SVID
 * addressed to this issuer, or — for {@code /revoke} only — its control token). Each is told of and may revoke only
 * the tokens it is bound to (RFC 7662 §4): a relying party those addressed to one of its audiences, a task its own.
 */
sealed interface Caller {
  String clientId();

  boolean mayAccess(String tokenTaskId, List<String> tokenAudience);

  record RelyingParty(String clientId, Set<String> audiences) implements Caller {
    @Override
    public boolean mayAccess(String tokenTaskId, List<String> tokenAudience) {
      return tokenAudience.stream().anyMatch(audiences::contains);
    }
  }

  record Task(String taskId, String clientId) implements Caller {
    @Override
    public boolean mayAccess(String tokenTaskId, List<String> tokenAudience) {
      return taskId.equals(tokenTaskId);
    }
  }
}
