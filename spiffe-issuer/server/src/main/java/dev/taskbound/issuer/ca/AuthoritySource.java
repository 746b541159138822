package dev.taskbound.issuer.ca;

import java.time.Instant;

/** Where the minters get the authority signing now, and the tick that keeps it (and the bundle) current. */
interface AuthoritySource<A> {
  A active();

  /** Returns true when the bundle changed. */
  boolean rotate(Instant now);
}
