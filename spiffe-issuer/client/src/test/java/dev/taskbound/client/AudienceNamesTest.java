package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AudienceNamesTest {
  @Test
  void plainAudiencesKeepReadableNames() {
    assertThat(AudienceNames.tokenFile("sts.amazonaws.com")).isEqualTo("jwt_svid.sts.amazonaws.com.token");
    assertThat(AudienceNames.tokenFile("https://vault.example/v1")).isEqualTo("jwt_svid.https_3A_2F_2Fvault.example_2Fv1.token");
    assertThat(AudienceNames.envSuffix("sts.amazonaws.com")).isEqualTo("STS_2EAMAZONAWS_2ECOM");
  }

  @Test
  void audiencesThatLookAlikeGetDifferentFilesAndVariables() {
    List<String> lookalikes = List.of("a.b", "a_b", "a_2Eb", "A.b", "a/b", "a b", "ä", "a..b", "_h00", "..", "a-b", "A-B");
    Set<String> files = new HashSet<>();
    Set<String> vars = new HashSet<>();
    for (String a : lookalikes) {
      files.add(AudienceNames.tokenFile(a));
      vars.add(AudienceNames.envSuffix(a));
    }
    assertThat(files).hasSize(lookalikes.size());
    assertThat(vars).hasSize(lookalikes.size());
  }

  @Test
  void namesAreSafeForFileSystemsAndShells() {
    for (String a : List.of("../../etc/passwd", "x\u0000y", "$(rm -rf /)", "a".repeat(500), "spiffe://td/ns/x")) {
      assertThat(AudienceNames.tokenFile(a)).matches("jwt_svid\\.[A-Za-z0-9._-]+\\.token").hasSizeLessThan(255).doesNotContain("/");
      assertThat(AudienceNames.envSuffix(a)).matches("[A-Z0-9_]+");
    }
  }
}
