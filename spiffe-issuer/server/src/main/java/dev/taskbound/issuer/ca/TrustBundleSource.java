package dev.taskbound.issuer.ca;

/** Where the current trust bundle of our trust domain comes from. */
public interface TrustBundleSource {
  TrustBundle current();
}
