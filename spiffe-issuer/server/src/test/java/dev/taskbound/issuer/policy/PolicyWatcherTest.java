package dev.taskbound.issuer.policy;

import static dev.taskbound.issuer.policy.Contexts.NO_AUDIENCES;
import static dev.taskbound.issuer.policy.Contexts.TD;
import static dev.taskbound.issuer.policy.Contexts.github;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyWatcherTest {
  private static final String ALLOW_MAIN =
      "rules:\n  - {name: main, when: \"ci.ref == 'refs/heads/main'\", max_ttl: 5m,"
          + " spiffe_id: 'spiffe://{trust_domain}/main'}\n";
  private static final String ALLOW_DEV =
      "rules:\n  - {name: dev, when: \"ci.ref == 'refs/heads/dev'\", max_ttl: 5m,"
          + " spiffe_id: 'spiffe://{trust_domain}/dev'}\n";

  @TempDir Path dir;
  private final List<String> loaded = new CopyOnWriteArrayList<>();
  private final List<String> rejected = new CopyOnWriteArrayList<>();
  private final PolicyListener listener =
      new PolicyListener() {
        @Override
        public void onLoaded(Policy policy) {
          loaded.add(policy.version());
        }

        @Override
        public void onRejected(String rejectedVersion, String keptVersion, String error) {
          rejected.add(rejectedVersion);
        }
      };

  @Test
  void aValidChangeTakesEffectOnReload() throws Exception {
    Path file = write(ALLOW_MAIN);
    try (PolicyWatcher watcher = PolicyWatcher.open(file, listener)) {
      CelPolicyEngine engine = new CelPolicyEngine(TD, watcher);
      assertThat(engine.decide(github("a/b", "refs/heads/dev"), NO_AUDIENCES).allowed()).isFalse();

      write(ALLOW_DEV);
      assertThat(watcher.reload()).isTrue();

      Decision decision = engine.decide(github("a/b", "refs/heads/dev"), NO_AUDIENCES);
      assertThat(decision.allowed()).isTrue();
      assertThat(decision.policyVersion()).isEqualTo(sha256(ALLOW_DEV));
      assertThat(loaded).containsExactly(sha256(ALLOW_MAIN), sha256(ALLOW_DEV));
    }
  }

  @Test
  void anInvalidChangeNeverReplacesTheValidPolicy() throws Exception {
    Path file = write(ALLOW_MAIN);
    try (PolicyWatcher watcher = PolicyWatcher.open(file, listener)) {
      CelPolicyEngine engine = new CelPolicyEngine(TD, watcher);

      String broken = ALLOW_DEV.replace("==", "===");
      write(broken);
      assertThat(watcher.reload()).isFalse();
      assertThat(watcher.reload()).isFalse(); // refused once, not re-parsed and re-logged every poll

      Decision decision = engine.decide(github("a/b", "refs/heads/main"), NO_AUDIENCES);
      assertThat(decision.allowed()).isTrue();
      assertThat(decision.policyVersion()).isEqualTo(sha256(ALLOW_MAIN));
      assertThat(rejected).containsExactly(sha256(broken));
      assertThat(loaded).containsExactly(sha256(ALLOW_MAIN));
    }
  }

  @Test
  void aDeletedFileKeepsThePolicyInForce() throws Exception {
    Path file = write(ALLOW_MAIN);
    try (PolicyWatcher watcher = PolicyWatcher.open(file, listener)) {
      Files.delete(file);

      assertThat(watcher.reload()).isFalse();
      assertThat(watcher.current().version()).isEqualTo(sha256(ALLOW_MAIN));
    }
  }

  @Test
  void anUnchangedFileIsNotReloaded() throws Exception {
    Path file = write(ALLOW_MAIN);
    try (PolicyWatcher watcher = PolicyWatcher.open(file, listener)) {
      write(ALLOW_MAIN);

      assertThat(watcher.reload()).isFalse();
      assertThat(loaded).hasSize(1);
    }
  }

  @Test
  void anInvalidFileAtStartupIsRefused() throws Exception {
    Path file = write("rules: [");

    assertThatThrownBy(() -> PolicyWatcher.open(file, listener)).isInstanceOf(InvalidPolicyException.class);
    assertThat(loaded).isEmpty();
  }

  @Test
  void theScheduleReloadsWithoutBeingAsked() throws Exception {
    Path file = write(ALLOW_MAIN);
    try (PolicyWatcher watcher = PolicyWatcher.open(file, listener)) {
      watcher.start(Duration.ofMillis(20));

      write(ALLOW_DEV);

      await().atMost(Duration.ofSeconds(5)).until(() -> watcher.current().version().equals(sha256(ALLOW_DEV)));
    }
  }

  private Path write(String yaml) throws Exception {
    Path file = dir.resolve("policy.yaml");
    Path temp = dir.resolve("policy.yaml.tmp");
    Files.writeString(temp, yaml);
    // Atomic replace, as a deployment tool would: the watcher never sees a half-written file.
    return Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static String sha256(String text) {
    return Policy.sha256Hex(text.getBytes(StandardCharsets.UTF_8));
  }
}
