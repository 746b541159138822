package dev.taskbound.issuer.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys sealed in the store: every holder of the secret opens them, nobody else, and the database sees no key. */
class StoreKeyManagerTest {
  private static final String SECRET = "test-only-key-encryption-secret-0123456789ab";

  @TempDir Path dir;

  @Test
  void replicasWithTheSecretShareKeysAndTheFirstGeneratedWins() {
    try (ScratchDatabase db = ScratchDatabase.sqlite(dir)) {
      StoreKeyManager a = new StoreKeyManager(db.store, SECRET, Clock.systemUTC());
      StoreKeyManager b = new StoreKeyManager(db.store, SECRET, Clock.systemUTC());
      SigningKey generated = a.generate("ssf-set-signing", KeyAlgorithm.EC_P256);
      assertThat(b.load("ssf-set-signing").orElseThrow().publicKey()).isEqualTo(generated.publicKey());
      // A second replica racing to create the same fixed-id key gets the first one.
      assertThat(b.generate("ssf-set-signing", KeyAlgorithm.EC_P256).publicKey()).isEqualTo(generated.publicKey());
      // No private key material in the clear: the sealed text is not PEM.
      assertThat(db.store.sharedKey("ssf-set-signing").orElseThrow()).startsWith("v1.").doesNotContain("PRIVATE KEY");
      b.delete("ssf-set-signing");
      assertThat(new StoreKeyManager(db.store, SECRET, Clock.systemUTC()).load("ssf-set-signing")).isEmpty();
    }
  }

  @Test
  void anotherSecretDoesNotOpenAKeyAndTheErrorDoesNotQuoteIt() {
    try (ScratchDatabase db = ScratchDatabase.sqlite(dir)) {
      new StoreKeyManager(db.store, SECRET, Clock.systemUTC()).generate("k1", KeyAlgorithm.EC_P256);
      String other = "another-secret-of-enough-length-0123456789";
      assertThatThrownBy(() -> new StoreKeyManager(db.store, other, Clock.systemUTC()).load("k1"))
          .hasMessageContaining("does not open")
          .hasMessageNotContaining(other)
          .hasMessageNotContaining(SECRET);
      assertThatThrownBy(() -> new StoreKeyManager(db.store, "short", Clock.systemUTC()))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
