package dev.taskbound.client.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
  private final ObjectMapper mapper = new ObjectMapper();

  @Test
  void sortsKeysByUtf16CodeUnitsAndDropsWhitespace() throws Exception {
    // "\u20ac" (€) sorts before "\ud83d\ude00" (😀) in UTF-16 although its code point is smaller either way;
    // "\ufb33" sorts after the surrogate pair in UTF-16 but before it by code point — the RFC 8785 example.
    String json = "{ \"b\": [1, 2, {\"z\": null, \"a\": true}], \"a\": \"x\", \"\\ufb33\": 1, \"\\ud83d\\ude00\": 2 }";
    assertThat(CanonicalJson.string(mapper.readTree(json)))
        .isEqualTo("{\"a\":\"x\",\"b\":[1,2,{\"a\":true,\"z\":null}],\"\ud83d\ude00\":2,\"\ufb33\":1}");
  }

  @Test
  void escapesOnlyWhatJcsEscapes() throws Exception {
    String json = "\"q\\\" b\\\\ \\u0001 \\n \\u001f / \\u00e9 \\u2028\"";
    assertThat(CanonicalJson.string(mapper.readTree(json))).isEqualTo("\"q\\\" b\\\\ \\u0001 \\n \\u001f / \u00e9 \u2028\"");
  }

  @Test
  void rejectsFractionsHugeIntegersAndLoneSurrogates() throws Exception {
    assertThatThrownBy(() -> CanonicalJson.string(mapper.readTree("1.5"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CanonicalJson.string(mapper.readTree("9007199254740992"))).isInstanceOf(IllegalArgumentException.class);
    assertThat(CanonicalJson.string(mapper.readTree("-9007199254740991"))).isEqualTo("-9007199254740991");
    assertThatThrownBy(() -> CanonicalJson.string(mapper.readTree("\"\\ud800\""))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void strictReadingRejectsNonCanonicalSpellings() {
    assertThat(EvidenceJson.parseCanonical("{\"a\":1}".getBytes(), "doc").get("a").intValue()).isEqualTo(1);
    for (String bad : new String[] {"{\"a\": 1}", "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":1}", "{\"a\":1} ", "{\"a\":\"\\u0041\"}"}) {
      assertThatThrownBy(() -> EvidenceJson.parseCanonical(bad.getBytes(), "doc")).as(bad)
          .isInstanceOf(InvalidEvidenceException.class);
    }
  }

  @Test
  void base64HasOneSpellingPerByteString() {
    assertThat(StrictBase64.decode("AQ==", "x")).containsExactly(1);
    assertThatThrownBy(() -> StrictBase64.decode("AR==", "x")).isInstanceOf(InvalidEvidenceException.class);
  }
}
