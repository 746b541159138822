package dev.taskbound.issuer.store;

/** The store could not do what was asked (connection, constraint, migration). Never carries secrets. */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }

  /**
   * True when the database could not be reached (no connection within the pool's timeout, a connection refused,
   * reset or shut down by the server) rather than refusing the statement: worth a 503 and a retry, not a 500.
   */
  public boolean unavailable() {
    for (Throwable t = getCause(); t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLTransientConnectionException
          || t instanceof java.sql.SQLNonTransientConnectionException
          || t instanceof java.sql.SQLRecoverableException
          || t instanceof java.net.SocketException
          || t instanceof java.net.SocketTimeoutException) {
        return true;
      }
      if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
        String state = sql.getSQLState();
        // 08xxx connection exceptions; 57P01-57P03 admin or crash shutdown, cannot connect now.
        if (state.startsWith("08") || state.startsWith("57P0")) {
          return true;
        }
      }
    }
    return false;
  }
}
