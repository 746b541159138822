package dev.taskbound.client;

/**
 * What ending a step came to: the issuer's end (revocation) and the wipe of its files, each with its own failure so
 * one never hides the other.
 *
 * @param wipeFailure why the files could not be deleted; null when they were
 */
public record StepEnding(EndResult end, Exception wipeFailure) {
  /** Revoked at the issuer and no file left behind. */
  public boolean clean() {
    return end.ended() && wipeFailure == null;
  }
}
