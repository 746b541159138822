package dev.taskbound.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plain-string form in which step values cross a remoting channel ({@code Map<String, String>} of JDK classes
 * only): Jenkins' class filter (JEP-200) rejects classes of library jars such as this one.
 */
final class Wire {
  private Wire() {}

  static String required(Map<String, String> wire, String key) {
    String value = wire.get(key);
    if (value == null) {
      throw new IllegalArgumentException("the agent's answer lacks " + key);
    }
    return value;
  }

  /** The entries whose key starts with {@code prefix}, the prefix cut off, in wire order. */
  static LinkedHashMap<String, String> prefixed(Map<String, String> wire, String prefix) {
    LinkedHashMap<String, String> out = new LinkedHashMap<>();
    wire.forEach((key, value) -> {
      if (key.startsWith(prefix)) {
        out.put(key.substring(prefix.length()), value);
      }
    });
    return out;
  }
}
