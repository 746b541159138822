package dev.taskbound.api;

/**
 * Evidence of who is asking: {@code type} names the attestor ({@code dev}, {@code github}, {@code jenkins},
 * {@code oidc:<name>}), {@code token} is what that attestor verifies.
 */
public record Attestation(String type, String token) {
  @Override
  public String toString() {
    return "Attestation[type=" + type + ", token=<redacted>]";
  }
}
