package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** What the tests of the store's indexes read back: a catalog column, a query plan. */
final class QueryPlans {
  private QueryPlans() {}

  /** Column {@code column} of every row {@code sql} returns with {@code parameters} bound in order. */
  static List<String> rows(Connection c, String sql, int column, Object... parameters) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        ps.setObject(i + 1, parameters[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(column));
        }
      }
    }
    return out;
  }
}
