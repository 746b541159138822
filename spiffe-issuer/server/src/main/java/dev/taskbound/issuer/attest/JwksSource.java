package dev.taskbound.issuer.attest;

import com.nimbusds.jose.jwk.JWK;
import java.util.Optional;

/**
 * The public keys an attestation may be signed with. {@link #keyFor} may refresh a remote key set when the kid
 * is unknown; implementations rate-limit that so unknown kids cannot be used to hammer the key's publisher.
 */
@FunctionalInterface
public interface JwksSource {
  /** The public key with this kid, or empty when none is published (after any refresh allowed now). */
  Optional<JWK> keyFor(String kid);
}
