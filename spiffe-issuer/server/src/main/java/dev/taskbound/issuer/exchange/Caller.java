package dev.taskbound.issuer.exchange;

/**
 * Who called {@code /introspect} or {@code /revoke}: a registered relying party, or a task (by its JWT-SVID
 * addressed to this issuer, or — for {@code /revoke} only — its control token).
 */
sealed interface Caller {
  String clientId();

  record RelyingParty(String clientId) implements Caller {}

  record Task(String taskId, String clientId) implements Caller {}
}
