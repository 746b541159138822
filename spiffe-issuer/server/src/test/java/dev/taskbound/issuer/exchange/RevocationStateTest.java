package dev.taskbound.issuer.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.ExchangeGrant;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import dev.taskbound.issuer.testing.MutableClock;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The periodic refresh reads revoked credentials only when the store holds some this process does not know: ends made
 * here are not read back, a revocation by another process (CLI, replica) is.
 */
class RevocationStateTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00.250Z");

  @TempDir Path dir;
  private ScratchDatabase db;
  private final MutableClock clock = new MutableClock(T0);
  private final AtomicInteger rowReads = new AtomicInteger();
  private RevocationState state;

  @BeforeEach
  void open() {
    db = ScratchDatabase.sqlite(dir);
    // Counts the calls that read revoked rows; everything else goes to the real store.
    Store counting = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, method, args) -> {
      if (method.getName().equals("revokedCredentials")) {
        rowReads.incrementAndGet();
      }
      try {
        return method.invoke(db.store, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    });
    state = new RevocationState(counting, clock);
    state.refresh(); // the start-up load
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void endsMadeHereAreNotReadBack() {
    for (int i = 0; i < 5; i++) {
      endHere("local-" + i);
      clock.advance(Duration.ofSeconds(1));
    }
    int before = rowReads.get();

    for (int i = 0; i < 10; i++) {
      clock.advance(Duration.ofSeconds(5));
      state.refresh();
    }

    assertThat(rowReads.get()).isEqualTo(before);
    assertThat(state.isRevoked(CredentialKind.JWT_SVID, "jti-local-3")).isTrue();
  }

  @Test
  void aRevocationByAnotherProcessIsReadAmongLocalOnes() {
    endHere("local-a");
    insertTask("foreign");
    // Ended straight in the store, as `taskbound-issuer tasks end` or another replica does: no listener here.
    db.store.endTask("foreign", TaskOutcome.REVOKED, "operator", clock.instant());
    endHere("local-b");
    clock.advance(Duration.ofSeconds(5));

    state.refresh();

    assertThat(state.isRevoked(CredentialKind.JWT_SVID, "jti-foreign")).isTrue();
    assertThat(state.isRevoked(CredentialKind.X509_SVID, "serial-foreign")).isTrue();
    // Known now: the next refresh has nothing to read.
    int after = rowReads.get();
    clock.advance(Duration.ofSeconds(5));
    state.refresh();
    assertThat(rowReads.get()).isEqualTo(after);
  }

  @Test
  void aSingleCredentialRevokedElsewhereIsRead() {
    endHere("local");
    insertTask("other");
    clock.advance(Duration.ofSeconds(1));
    assertThat(db.store.revokeCredential(CredentialKind.JWT_SVID, "jti-other", clock.instant())).isTrue();
    clock.advance(Duration.ofSeconds(5));

    state.refresh();

    assertThat(state.isRevoked(CredentialKind.JWT_SVID, "jti-other")).isTrue();
    assertThat(state.isRevoked(CredentialKind.X509_SVID, "serial-other")).isFalse();
  }

  /** A task begun and ended here: the end is committed, then listeners are told (as TaskLifecycle does). */
  private void endHere(String taskId) {
    insertTask(taskId);
    TaskRecord ended = db.store.endTask(taskId, TaskOutcome.SUCCEEDED, null, clock.instant()).orElseThrow();
    state.taskEnded(ended, db.store.credentialsOf(taskId));
  }

  private void insertTask(String taskId) {
    Instant now = clock.instant();
    TaskRecord task = new TaskRecord(taskId, TaskState.ACTIVE, "spiffe://example.org/ci/" + taskId, "dev", Map.of(), "rule", "v1",
        "{\"kty\":\"EC\"}", "thumb-" + taskId, "ctl-" + taskId, List.of("a"), now, now.plusSeconds(3600), null, null, null, null);
    db.store.insertTask(task,
        List.of(
            new CredentialRecord(taskId, CredentialKind.X509_SVID, "serial-" + taskId, null, now, now.plusSeconds(600), null),
            new CredentialRecord(taskId, CredentialKind.JWT_SVID, "jti-" + taskId, "a", now, now.plusSeconds(600), null)),
        ExchangeGrant.of(taskId, List.of("a"), null));
  }
}
