package dev.taskbound.issuer.task;

import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.TaskRecord;
import java.util.List;

/**
 * Told once, after the store has committed a task's end, with the credentials that end revoked: the hook for
 * revocation caches, the CRL, Shared Signals. It runs on the ending request's thread; it must not throw for
 * business reasons (a failure is logged and never undoes the end) and should hand slow work to its own executor.
 */
@FunctionalInterface
public interface TaskEndListener {
  void taskEnded(TaskRecord task, List<CredentialRecord> revoked);
}
