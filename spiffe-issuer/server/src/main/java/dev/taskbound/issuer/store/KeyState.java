package dev.taskbound.issuer.store;

/** Rotation state of a signing authority: published before use, used, then kept published until unused. */
public enum KeyState {
  PREPARED,
  ACTIVE,
  RETIRED
}
