package dev.taskbound.issuer;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A step of start-up run on a thread of its own while the steps that do not need its result go on: start-up is
 * mostly loading classes and making keys, and the machine has more than one core.
 */
final class BackgroundStep<T> {
  private final CompletableFuture<T> result = new CompletableFuture<>();

  private BackgroundStep() {}

  /** Starts {@code step} on a new thread named {@code threadName}. */
  static <T> BackgroundStep<T> start(String threadName, Callable<T> step) {
    BackgroundStep<T> started = new BackgroundStep<>();
    new Thread(
            () -> {
              try {
                started.result.complete(step.call());
              } catch (Throwable e) {
                started.result.completeExceptionally(e);
              }
            },
            threadName)
        .start();
    return started;
  }

  /** Waits for the step; its result, or what it threw, as if it had run on this thread. */
  T await() throws Exception {
    try {
      return result.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof Exception thrown) {
        throw thrown;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  /** Waits for the step however it ends: its result, or null when it failed. For cleaning up after a failed start. */
  T awaitQuietly() {
    return result.handle((value, failure) -> value).join();
  }
}
