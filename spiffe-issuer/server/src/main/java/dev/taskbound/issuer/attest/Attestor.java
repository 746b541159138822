package dev.taskbound.issuer.attest;

import dev.taskbound.api.Attestation;

/**
 * Verifies one kind of attestation and turns it into an {@link AttestedIdentity}. Implementations check
 * signature, issuer, audience, time and single use; they throw {@link AttestationException} with a reason a caller
 * can act on and never include the token in it.
 */
public interface Attestor {
  /** The {@code attestation.type} this attestor handles, e.g. {@code dev}, {@code github}, {@code jenkins}. */
  String type();

  AttestedIdentity attest(Attestation attestation);
}
