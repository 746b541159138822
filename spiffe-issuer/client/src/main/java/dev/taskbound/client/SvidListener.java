package dev.taskbound.client;

import java.time.Instant;

/** Told about a {@link TaskSession}'s credentials as they change. Called on the session's scheduler thread. */
public interface SvidListener {
  /** Fresh SVIDs are in place (files already rewritten). */
  void rotated(Svids svids);

  /** A renewal failed; the session tries again at {@code nextAttempt}, or never when null (refused, or the task's end is nearer). */
  default void renewalFailed(IssuerException error, Instant nextAttempt) {}

  /**
   * Exchanging again for {@code audience} after a renewal failed; the previous token stays in its file and is good
   * until {@code stillValidUntil}. The renewal itself went through.
   */
  default void downstreamRefreshFailed(String audience, RuntimeException error, Instant stillValidUntil) {}

  /** The session ended (or gave up ending); the credentials must no longer be used. */
  default void ended(EndResult result) {}
}
