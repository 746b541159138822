package dev.taskbound.issuer.policy;

import dev.taskbound.issuer.attest.AttestedIdentity;
import dev.taskbound.issuer.ca.SpiffeId;
import java.time.Duration;
import java.util.List;

/**
 * The built-in policy of {@code serve --dev}: allows dev-attested tasks only, as
 * {@code spiffe://<td>/dev/<token_id>}, any audience, TTL capped by configuration. Everything else is denied.
 */
public final class DevPolicy implements PolicyEngine {
  public static final String RULE = "dev-default";
  public static final String VERSION = "builtin-dev";
  private final String trustDomain;
  private final Duration ttlCap;

  public DevPolicy(String trustDomain, Duration ttlCap) {
    this.trustDomain = trustDomain;
    this.ttlCap = ttlCap;
  }

  @Override
  public Decision decide(AttestedIdentity who, PolicyRequest request) {
    if (!"dev".equals(who.platform())) {
      return Decision.deny(null, Decision.NO_RULE_MATCHED, "the dev policy allows dev attestations only", VERSION);
    }
    String tokenId = who.context().getOrDefault("token_id", "");
    if (!tokenId.matches("[0-9a-f]{16}")) {
      return Decision.deny(RULE, Decision.EVALUATION_ERROR, "dev attestation carries no token id", VERSION);
    }
    SpiffeId id = new SpiffeId(trustDomain, "/dev/" + tokenId);
    return Decision.allow(RULE, id, ttlCap, request.audiences(), null, null, VERSION);
  }
}
