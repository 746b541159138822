package dev.taskbound.issuer.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.taskbound.api.ApiJson;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How values map to the portable column types of the migrations: instants as BIGINT epoch milliseconds (so
 * sub-millisecond precision is dropped), lists and maps as JSON text, enums as their lower-case names.
 */
final class Columns {
  private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};
  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private Columns() {}

  static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.BIGINT);
    } else {
      ps.setLong(index, value.toEpochMilli());
    }
  }

  static Instant getInstant(ResultSet rs, String column) throws SQLException {
    long millis = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  static String enumText(Enum<?> value) {
    return value == null ? null : value.name().toLowerCase(Locale.ROOT);
  }

  static <E extends Enum<E>> E textEnum(Class<E> type, String text) {
    return text == null ? null : Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
  }

  static String json(Object value) {
    try {
      return ApiJson.mapper().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new StoreException("cannot encode a column as JSON", e);
    }
  }

  static List<String> stringList(String json) {
    return parse(json, STRING_LIST);
  }

  static Map<String, String> stringMap(String json) {
    return parse(json, STRING_MAP);
  }

  private static <T> T parse(String json, TypeReference<T> type) {
    try {
      return ApiJson.mapper().readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new StoreException("a stored JSON column is malformed", e);
    }
  }
}
