package dev.taskbound.issuer.policy;

import dev.taskbound.issuer.attest.AttestedIdentity;

/** Decides at request time what an attested caller may get. Default deny: no matching rule, no identity. */
public interface PolicyEngine {
  /** Never throws for a policy or evaluation error: that is a {@link Decision#deny deny}. */
  Decision decide(AttestedIdentity who, PolicyRequest request);
}
