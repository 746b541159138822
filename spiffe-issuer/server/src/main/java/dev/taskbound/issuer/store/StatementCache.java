package dev.taskbound.issuer.store;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Wrapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Keeps each connection's prepared statements for the next use of the same SQL. SQLite compiles a statement on every
 * {@code prepareStatement} (sqlite-jdbc caches nothing, Hikari deliberately neither): a tenth of a begin's CPU at one
 * client went to compiling the same few INSERTs again, much of it on the store's one writer, where every write of
 * a batch waits for it (issue 13). PostgreSQL's driver has a cache of its own and does not need this.
 *
 * <p>A caller's {@code close()} hands the statement back instead of closing it: its result set is closed (which
 * resets the statement, so it holds no read snapshot that would keep the log from starting over) and its parameters
 * and batch are cleared. A statement prepared while the same SQL is still open elsewhere on the connection is a new
 * one. At most {@code perConnection} idle statements are kept, the least recently used closed first; closing the
 * connection closes them all.
 */
final class StatementCache implements DataSource {
  private final DataSource target;
  private final int perConnection;

  StatementCache(DataSource target, int perConnection) {
    if (perConnection < 1) {
      throw new IllegalArgumentException("perConnection must be at least 1");
    }
    this.target = target;
    this.perConnection = perConnection;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return caching(target.getConnection());
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return caching(target.getConnection(username, password));
  }

  private Connection caching(Connection c) {
    return (Connection) Proxy.newProxyInstance(
        StatementCache.class.getClassLoader(), new Class<?>[] {Connection.class}, new CachingConnection(c, perConnection));
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return target.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    target.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    target.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return target.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return target.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    return type.cast(wrapperCall(target, "unwrap", type));
  }

  @Override
  public boolean isWrapperFor(Class<?> type) throws SQLException {
    return (Boolean) wrapperCall(target, "isWrapperFor", type);
  }

  /** {@code unwrap} and {@code isWrapperFor} of a wrapper around {@code target}. */
  private static Object wrapperCall(Wrapper target, String name, Class<?> type) throws SQLException {
    if (name.equals("unwrap")) {
      return type.isInstance(target) ? target : target.unwrap(type);
    }
    return type.isInstance(target) || target.isWrapperFor(type);
  }

  /** {@code equals} and {@code hashCode} of a proxy: its own identity, not its target's. */
  private static Object identityCall(Object proxy, String name, Object[] args) {
    return name.equals("equals") ? (Object) (proxy == args[0]) : (Object) System.identityHashCode(proxy);
  }

  private static Object call(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static final class CachingConnection implements InvocationHandler {
    private final Connection target;
    private final int capacity;
    /** Idle statements by SQL, least recently handed back first. */
    private final LinkedHashMap<String, PreparedStatement> idle = new LinkedHashMap<>(16, 0.75f, true);

    CachingConnection(Connection target, int capacity) {
      this.target = target;
      this.capacity = capacity;
    }

    @Override
    public synchronized Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      switch (method.getName()) {
        case "prepareStatement":
          if (args.length == 1) {
            String sql = (String) args[0];
            PreparedStatement ps = idle.remove(sql);
            if (ps == null) {
              ps = target.prepareStatement(sql);
            }
            return Proxy.newProxyInstance(
                StatementCache.class.getClassLoader(), new Class<?>[] {PreparedStatement.class},
                new CachedStatement(this, (Connection) proxy, sql, ps));
          }
          return call(target, method, args);
        case "close":
          closeIdle();
          target.close();
          return null;
        case "unwrap", "isWrapperFor":
          return wrapperCall(target, method.getName(), (Class<?>) args[0]);
        case "equals", "hashCode":
          return identityCall(proxy, method.getName(), args);
        default:
          return call(target, method, args);
      }
    }

    /** Takes {@code ps} back (reset by its holder), or closes it when one for the same SQL is already idle. */
    synchronized void handBack(String sql, PreparedStatement ps) throws SQLException {
      if (target.isClosed() || idle.containsKey(sql)) {
        ps.close();
        return;
      }
      idle.put(sql, ps);
      if (idle.size() > capacity) {
        Iterator<PreparedStatement> eldest = idle.values().iterator();
        PreparedStatement evicted = eldest.next();
        eldest.remove();
        evicted.close();
      }
    }

    private void closeIdle() {
      List<PreparedStatement> all = new ArrayList<>(idle.values());
      idle.clear();
      for (PreparedStatement ps : all) {
        try {
          ps.close();
        } catch (SQLException ignored) {
          // The connection closes next, and with it whatever is left.
        }
      }
    }

    /** Tests: the SQL of the statements kept idle. */
    synchronized List<String> idleSql() {
      return new ArrayList<>(idle.keySet());
    }
  }

  /** Tests: the SQL whose statements {@code c} keeps for reuse, least recently used first. */
  static List<String> idleSql(Connection c) {
    return ((CachingConnection) Proxy.getInvocationHandler(c)).idleSql();
  }

  private static final class CachedStatement implements InvocationHandler {
    private final CachingConnection owner;
    private final Connection connection;
    private final String sql;
    private final PreparedStatement target;
    private ResultSet open;
    private boolean closed;

    CachedStatement(CachingConnection owner, Connection connection, String sql, PreparedStatement target) {
      this.owner = owner;
      this.connection = connection;
      this.sql = sql;
      this.target = target;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      switch (name) {
        case "close":
          close();
          return null;
        case "isClosed":
          return closed || target.isClosed();
        case "getConnection":
          return connection;
        case "unwrap", "isWrapperFor":
          return wrapperCall(target, name, (Class<?>) args[0]);
        case "equals", "hashCode":
          return identityCall(proxy, name, args);
        default:
          if (closed && method.getDeclaringClass() != Object.class) {
            throw new SQLException("statement is closed");
          }
          Object result = call(target, method, args);
          if (result instanceof ResultSet rs && (name.equals("executeQuery") || name.equals("getResultSet"))) {
            open = rs;
          }
          return result;
      }
    }

    private void close() throws SQLException {
      if (closed) {
        return;
      }
      closed = true;
      if (target.isClosed()) {
        return;
      }
      try {
        if (open != null) {
          open.close();
        }
        target.clearParameters();
        target.clearBatch();
      } catch (SQLException | RuntimeException e) {
        target.close();
        throw e;
      }
      owner.handBack(sql, target);
    }
  }
}
