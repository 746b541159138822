package dev.taskbound.issuer.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SegmentCodecTest {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "main|main",
        "v1.2-rc|v1.2-rc",
        "a_b|a_5Fb",
        "a/b|a_2Fb",
        "%2F|_252F",
        "_2F|_5F2F",
        ".|_2E",
        "..|_2E_2E",
        "...|...",
        "é|_C3_A9",
        "a b|a_20b",
        "／|_EF_BC_8F",
      })
  void encodesAsDocumented(String value, String encoded) {
    assertThat(SegmentCodec.encode(value)).isEqualTo(encoded);
    assertThat(SegmentCodec.decode(encoded)).isEqualTo(value);
  }

  @Test
  void emptyValueBecomesALoneEscape() {
    assertThat(SegmentCodec.encode("")).isEqualTo("_");
    assertThat(SegmentCodec.decode("_")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"_41", "_2e", "a_2Eb", "__", "_5", "a/b", "a b", "_C3", "_FF", "x_", ".", "..", ""})
  void decodeRejectsEveryNonCanonicalForm(String segment) {
    assertThatThrownBy(() -> SegmentCodec.decode(segment)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unpairedSurrogateIsRefusedRatherThanReplaced() {
    // getBytes(UTF_8) would turn both into '?', and two values would share an ID.
    assertThatThrownBy(() -> SegmentCodec.encode("a\uD800")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SegmentCodec.encode("a\uDC00")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void distinctValuesNeverShareAnEncodingAndEveryEncodingIsAValidSegment() {
    // Property-style: many random strings over an alphabet rich in the characters that matter.
    String alphabet = "aZ09.-_/%2F\\ :é\u200F\u202E\uFF0F\u0000\n";
    Random random = new Random(20240611L);
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < 200_000; i++) {
      StringBuilder value = new StringBuilder();
      int length = random.nextInt(6);
      for (int j = 0; j < length; j++) {
        if (random.nextInt(20) == 0) {
          value.appendCodePoint(0x1F600 + random.nextInt(50)); // astral, a surrogate pair in Java
        } else {
          value.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
      }
      String input = value.toString();
      String encoded = SegmentCodec.encode(input);
      assertThat(encoded).matches(SEGMENT).isNotIn(".", "..");
      assertThat(SegmentCodec.decode(encoded)).isEqualTo(input);
      String previous = seen.putIfAbsent(encoded, input);
      if (previous != null) {
        assertThat(previous).as("two inputs encoded to %s", encoded).isEqualTo(input);
      }
    }
    assertThat(seen).hasSizeGreaterThan(10_000);
  }
}
