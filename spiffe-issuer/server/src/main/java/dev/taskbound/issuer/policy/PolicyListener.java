package dev.taskbound.issuer.policy;

/** Told when a policy version takes effect or a new file is refused; evidence records {@code policy.loaded}. */
public interface PolicyListener {
  /** A policy version is now in force (also called for the first load). */
  void onLoaded(String version);

  /** A changed file was refused; {@code keptVersion} stays in force. */
  default void onRejected(String rejectedVersion, String keptVersion, String error) {}

  PolicyListener NONE = version -> {};
}
