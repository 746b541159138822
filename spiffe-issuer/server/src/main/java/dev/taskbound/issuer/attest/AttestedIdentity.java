package dev.taskbound.issuer.attest;

import java.util.Map;

/**
 * Who asked, as verified: {@code platform} ({@code dev}, {@code github}, {@code jenkins}, {@code oidc}), the
 * normalised context ({@code ci.*} in policy: repository, run_id, job …), the raw verified claims, and the
 * SHA-256 (hex) of the attestation token for evidence.
 */
public record AttestedIdentity(
    String platform, Map<String, String> context, Map<String, Object> claims, String attestationSha256) {
  public AttestedIdentity {
    context = Map.copyOf(context);
    claims = Map.copyOf(claims);
  }
}
