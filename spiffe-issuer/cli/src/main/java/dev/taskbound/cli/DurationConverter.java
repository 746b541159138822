package dev.taskbound.cli;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT2M}). */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    try {
      if (v.startsWith("pt") || v.startsWith("p")) {
        return Duration.parse(value.strip().toUpperCase(Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new CommandLine.TypeConversionException("not a duration: " + value);
      };
    } catch (RuntimeException e) {
      if (e instanceof CommandLine.TypeConversionException t) {
        throw t;
      }
      throw new CommandLine.TypeConversionException("not a duration (use 30s, 2m, 1h or PT2M): " + value);
    }
  }
}
