package dev.taskbound.issuer.store;

import java.util.Locale;

/** What kind of credential a task holds. */
public enum CredentialKind {
  X509_SVID,
  JWT_SVID,
  DOWNSTREAM_TOKEN;

  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
