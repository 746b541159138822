package dev.taskbound.issuer.task;

import dev.taskbound.issuer.store.ApprovalRecord;
import dev.taskbound.issuer.store.Store;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Long-polling callers of {@code GET /v1/approvals/{id}?wait=…}: each waits on a future that completes as soon as
 * this replica changes the request ({@link #changed}), when the request's state in the store no longer matches what
 * the caller last saw ({@link #pollStore}: other replicas, operator commands on the data directory), or when its wait
 * is over. Nothing sleeps; a waiting caller holds no thread.
 */
public final class ApprovalWatch {
  /** One waiting caller: what it saw (state and approvals so far) and the future that wakes it. */
  private record Waiter(String seen, CompletableFuture<Void> wake) {}

  private final Map<String, Set<Waiter>> waiters = new ConcurrentHashMap<>();
  private final Function<String, Optional<ApprovalRecord>> read;

  public ApprovalWatch(Store store) {
    this(store::findApproval);
  }

  ApprovalWatch(Function<String, Optional<ApprovalRecord>> read) {
    this.read = read;
  }

  /**
   * A future that completes when {@code seen} changes or after {@code wait}, whichever comes first (normally, never
   * exceptionally). Completing it early (cancel) removes the waiter.
   */
  public CompletableFuture<Void> next(ApprovalRecord seen, Duration wait) {
    Waiter w = new Waiter(signature(seen), new CompletableFuture<>());
    String id = seen.approvalId();
    waiters.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(w);
    w.wake().whenComplete((v, t) -> forget(id, w));
    w.wake().completeOnTimeout(null, Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
    // A change that landed between the caller's read and this registration is not missed.
    read.apply(id).filter(now -> !signature(now).equals(w.seen())).ifPresent(now -> w.wake().complete(null));
    return w.wake();
  }

  /** Wakes everyone waiting on {@code approvalId}: this replica just changed it. */
  public void changed(String approvalId) {
    Set<Waiter> set = waiters.get(approvalId);
    if (set != null) {
      for (Waiter w : set) {
        w.wake().complete(null);
      }
    }
  }

  /**
   * Reads each watched request once and wakes the callers whose view is stale; cheap when nobody waits. Run it every
   * second or so: it is how changes made elsewhere (another replica, {@code taskbound-issuer approvals}) arrive.
   */
  public void pollStore() {
    for (Map.Entry<String, Set<Waiter>> e : waiters.entrySet()) {
      Optional<ApprovalRecord> now = read.apply(e.getKey());
      for (Waiter w : e.getValue()) {
        if (now.isEmpty() || !signature(now.get()).equals(w.seen())) {
          w.wake().complete(null);
        }
      }
    }
  }

  /** How many callers wait now (tests, metrics). */
  public int waiting() {
    return waiters.values().stream().mapToInt(Set::size).sum();
  }

  private void forget(String id, Waiter w) {
    waiters.computeIfPresent(id, (k, set) -> {
      set.remove(w);
      return set.isEmpty() ? null : set;
    });
  }

  /** What a caller can see change: the state and who approved so far. */
  private static String signature(ApprovalRecord r) {
    return r.state() + " " + r.approvedBy();
  }
}
