package dev.taskbound.issuer.attest;

import dev.taskbound.issuer.store.AttestationUse;
import java.util.Map;

/**
 * Who asked, as verified: {@code platform} ({@code dev}, {@code github}, {@code jenkins}, {@code oidc}), the
 * normalised context ({@code ci.*} in policy: repository, run_id, job …), the raw verified claims, the SHA-256
 * (hex) of the attestation token for evidence, and what makes the attestation single use — not spent yet: the task
 * lifecycle spends it only when it begins a task, so a refused request leaves the attestation usable.
 */
public record AttestedIdentity(
    String platform, Map<String, String> context, Map<String, Object> claims, String attestationSha256,
    AttestationUse use) {
  public AttestedIdentity {
    context = Map.copyOf(context);
    claims = Map.copyOf(claims);
  }

  /** An identity with nothing to spend (policy tests and the policy tester, which begin nothing). */
  public AttestedIdentity(String platform, Map<String, String> context, Map<String, Object> claims, String attestationSha256) {
    this(platform, context, claims, attestationSha256, null);
  }
}
