package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Store;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Function;

/** Which {@link KeyManager} holds the generated keys: this replica's {@code data_dir/keys}, or the shared store. */
public final class KeyManagers {
  private KeyManagers() {}

  /**
   * {@link StoreKeyManager} when {@code store.key_encryption_env} is set (replicas share keys), else
   * {@link DiskKeyManager} on {@code <data_dir>/keys}.
   */
  public static KeyManager forConfig(IssuerConfig config, Store store, Function<String, String> env, Clock clock) {
    return shared(config, store, env, clock)
        .<KeyManager>map(keys -> keys)
        .orElseGet(() -> new DiskKeyManager(config.dataDir().resolve("keys")));
  }

  /**
   * The store's sealed keys when {@code store.key_encryption_env} is set; empty when keys stay on each replica's disk.
   * Throws when the variable it names is not set.
   */
  public static Optional<StoreKeyManager> shared(IssuerConfig config, Store store, Function<String, String> env, Clock clock) {
    IssuerConfig.StoreConfig cfg = config.store();
    if (!cfg.sharedKeys()) {
      return Optional.empty();
    }
    String secret = env.apply(cfg.keyEncryptionEnv());
    if (secret == null || secret.isEmpty()) {
      throw new IllegalStateException(
          "environment variable " + cfg.keyEncryptionEnv() + " (store.key_encryption_env) is not set");
    }
    return Optional.of(new StoreKeyManager(store, secret, clock));
  }
}
