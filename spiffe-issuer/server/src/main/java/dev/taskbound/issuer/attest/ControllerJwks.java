package dev.taskbound.issuer.attest;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import java.text.ParseException;
import java.util.List;

/**
 * The public keys a Jenkins controller signs run statements with, validated: the JWKS parses, every key is an
 * RSA or EC public key with a kid meant for signing, and none carries private (or symmetric) key material — an
 * operator who pastes the controller's private JWKS gets told so instead of having it stored.
 */
public final class ControllerJwks {
  private ControllerJwks() {}

  /** Parses and validates; throws {@link IllegalArgumentException} with a message for the operator. */
  public static JWKSet parse(String json) {
    JWKSet set;
    try {
      set = JWKSet.parse(json);
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a valid JWKS (expected {\"keys\": [...]})");
    }
    List<JWK> keys = set.getKeys();
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("JWKS has no keys");
    }
    for (JWK key : keys) {
      String which = key.getKeyID() == null ? "a key without kid" : "key '" + key.getKeyID() + "'";
      if (key.isPrivate() || KeyType.OCT.equals(key.getKeyType())) {
        throw new IllegalArgumentException(
            "JWKS contains private key material (" + which + "); register only the public keys");
      }
      if (!KeyType.RSA.equals(key.getKeyType()) && !KeyType.EC.equals(key.getKeyType())) {
        throw new IllegalArgumentException(which + " has key type " + key.getKeyType() + "; use EC or RSA");
      }
      if (key.getKeyID() == null || key.getKeyID().isBlank()) {
        throw new IllegalArgumentException("JWKS has a key without kid; run statements name their key by kid");
      }
      if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
        throw new IllegalArgumentException(which + " is not a signing key (use must be sig)");
      }
    }
    return set;
  }
}
