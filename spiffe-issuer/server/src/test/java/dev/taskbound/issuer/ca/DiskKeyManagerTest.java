package dev.taskbound.issuer.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskKeyManagerTest {
  @TempDir Path dataDir;

  @Test
  void keysArePrivateFilesInAPrivateDirectory() throws Exception {
    Path dir = dataDir.resolve("keys");
    new DiskKeyManager(dir).generate("k1", KeyAlgorithm.EC_P256);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("k1.pem"))))
        .isEqualTo("rw-------");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(dir.resolve("k1.pem"));
    }
  }

  @Test
  void keyManagersMadeAtOnceOnANewDirectoryAllOpenIt() throws Exception {
    // Start-up builds the CA and the downstream token keys on two threads, each with a key manager of its own.
    Path dir = dataDir.resolve("keys");
    int managers = 8;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(managers);
    try {
      List<Future<DiskKeyManager>> opened = new ArrayList<>();
      for (int i = 0; i < managers; i++) {
        opened.add(threads.submit(() -> {
          go.await();
          return new DiskKeyManager(dir);
        }));
      }
      go.countDown();
      for (Future<DiskKeyManager> manager : opened) {
        manager.get(30, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
  }

  @Test
  void loadedKeySignsWhatTheGeneratedPublicKeyVerifies() throws Exception {
    DiskKeyManager keys = new DiskKeyManager(dataDir.resolve("keys"));
    for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
      SigningKey generated = keys.generate("key-" + algorithm.ordinal(), algorithm);
      SigningKey loaded = new DiskKeyManager(dataDir.resolve("keys")).load(generated.id()).orElseThrow();
      assertThat(loaded.algorithm()).isEqualTo(algorithm);
      assertThat(loaded.publicKey().getEncoded()).isEqualTo(generated.publicKey().getEncoded());
      Signature signer = loaded.signature();
      signer.update(new byte[] {1, 2, 3});
      Signature verifier = Signature.getInstance(algorithm.jcaSignature());
      verifier.initVerify(generated.publicKey());
      verifier.update(new byte[] {1, 2, 3});
      assertThat(verifier.verify(signer.sign())).isTrue();
    }
  }

  @Test
  void deletedKeyIsGoneAndBadIdsAreRefused() {
    DiskKeyManager keys = new DiskKeyManager(dataDir.resolve("keys"));
    keys.generate("gone", KeyAlgorithm.EC_P256);
    keys.delete("gone");
    assertThat(keys.load("gone")).isEmpty();
    assertThatThrownBy(() -> keys.load("../escape")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toStringNeverShowsTheKey() {
    SigningKey key = new DiskKeyManager(dataDir.resolve("keys")).generate("k", KeyAlgorithm.EC_P256);
    assertThat(key.toString()).isEqualTo("SigningKey[id=k, algorithm=EC_P256]");
  }
}
