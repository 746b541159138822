package dev.taskbound.issuer.ca;

import java.util.Optional;

/**
 * Holds the issuer's private signing keys, by id, outside the store (as SPIRE's KeyManager does). Callers only
 * ever get a {@link SigningKey} handle; how the private key is kept is the implementation's business.
 */
public interface KeyManager {
  /** Generates and persists a new key under {@code id}, replacing any key of that id. */
  SigningKey generate(String id, KeyAlgorithm algorithm);

  /** The key stored under {@code id}, if any. */
  Optional<SigningKey> load(String id);

  /** Forgets the key; a no-op when there is none. */
  void delete(String id);
}
