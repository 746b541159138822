package dev.taskbound.issuer.store;

/** The store could not do what was asked (connection, constraint, migration). Never carries secrets. */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
