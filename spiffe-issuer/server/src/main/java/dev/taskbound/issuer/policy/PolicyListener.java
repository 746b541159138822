package dev.taskbound.issuer.policy;

/** Told when a policy version takes effect or a new file is refused; evidence records {@code policy.loaded}. */
public interface PolicyListener {
  /** A policy is now in force (also called for the first load); its version is the file's SHA-256. */
  void onLoaded(Policy policy);

  /** A changed file was refused; {@code keptVersion} stays in force. */
  default void onRejected(String rejectedVersion, String keptVersion, String error) {}

  PolicyListener NONE = policy -> {};
}
