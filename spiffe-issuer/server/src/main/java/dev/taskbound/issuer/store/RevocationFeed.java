package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revocations committed by any replica, as they commit: one thread holds a dedicated PostgreSQL connection that
 * {@code LISTEN}s on {@code taskbound_revoked_<schema>} (the V8 triggers {@code NOTIFY} in the revoking transaction)
 * and waits in {@link PGConnection#getNotifications(int)}. When the connection fails it reconnects with backoff and
 * then asks the listener to {@link Listener#resync resync} from the store, since notifications sent meanwhile are
 * gone; the listener's periodic refresh stays the fallback either way.
 */
public final class RevocationFeed implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RevocationFeed.class);
  static final String CHANNEL_PREFIX = "taskbound_revoked_";
  private static final int WAIT_MILLIS = 500;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  /** What the feed reports. Called on the feed's thread; keep it short. */
  public interface Listener {
    void taskEnded(String taskId, Instant expiresAt);

    void credentialRevoked(CredentialKind kind, String credentialId, Instant expiresAt);

    /** The feed was (re)connected after a gap: what was revoked meanwhile must be read from the store. */
    void resync();
  }

  /** Opens the dedicated connection. */
  interface Connector {
    Connection open() throws SQLException;
  }

  private final Thread thread;
  private final CountDownLatch listening = new CountDownLatch(1);
  private volatile boolean closed;
  private volatile Connection connection;

  private RevocationFeed(Thread thread) {
    this.thread = thread;
  }

  /** A feed with nothing to hear (SQLite). */
  static RevocationFeed silent() {
    RevocationFeed feed = new RevocationFeed(null);
    feed.listening.countDown();
    return feed;
  }

  static RevocationFeed start(Connector connector, Listener listener) {
    RevocationFeed[] self = new RevocationFeed[1];
    Thread t = new Thread(() -> self[0].run(connector, listener), "taskbound-revocation-feed");
    t.setDaemon(true);
    self[0] = new RevocationFeed(t);
    t.start();
    return self[0];
  }

  /** Waits until the first LISTEN is in place (so nothing committed after this returns is missed); for start-up and tests. */
  public boolean awaitListening(Duration timeout) throws InterruptedException {
    return listening.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void run(Connector connector, Listener listener) {
    Duration backoff = Duration.ofMillis(100);
    boolean first = true;
    while (!closed) {
      try (Connection c = connector.open()) {
        connection = c;
        c.setAutoCommit(true);
        String schema;
        try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT current_schema()")) {
          rs.next();
          schema = rs.getString(1);
        }
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN \"" + (CHANNEL_PREFIX + schema).replace("\"", "\"\"") + "\"");
        }
        listening.countDown();
        if (!first) {
          LOG.info("revocation feed reconnected; resynchronising from the store");
          listener.resync();
        }
        first = false;
        backoff = Duration.ofMillis(100);
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed) {
          PGNotification[] notifications = pg.getNotifications(WAIT_MILLIS);
          if (notifications != null) {
            for (PGNotification n : notifications) {
              deliver(n.getParameter(), listener);
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        LOG.warn("revocation feed lost its connection ({}); reconnecting in {} ms", e.getMessage(), backoff.toMillis());
        first = false;
        sleep(backoff);
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
  }

  /** Parses one payload (see V8__replica_triggers.sql); an unknown one is ignored, the refresh covers it. */
  static void deliver(String payload, Listener listener) {
    String[] parts = payload.split(" ");
    try {
      if (parts.length == 3 && parts[0].equals("t")) {
        listener.taskEnded(parts[2], Instant.ofEpochMilli(Long.parseLong(parts[1])));
        return;
      }
      if (parts.length == 4 && parts[0].equals("c")) {
        CredentialKind kind = CredentialKind.valueOf(parts[1].toUpperCase(Locale.ROOT).replace('-', '_'));
        listener.credentialRevoked(kind, parts[3], Instant.ofEpochMilli(Long.parseLong(parts[2])));
        return;
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    LOG.warn("ignoring an unrecognised revocation notification");
  }

  private void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closed = true;
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread == null) {
      return;
    }
    thread.interrupt();
    try {
      thread.join(2 * WAIT_MILLIS + 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Connection c = connection;
    if (c != null && thread.isAlive()) {
      try {
        c.close();
      } catch (SQLException e) {
        // closing anyway
      }
    }
  }
}
