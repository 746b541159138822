package dev.taskbound.issuer.admin;

import java.util.Locale;

/** What an operator may do: viewers read; operators also end tasks; approvers also approve (later issues). */
public enum Role {
  VIEWER,
  OPERATOR,
  APPROVER;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
