package dev.taskbound.client.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunStatementSignerTest {
  static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  final ControllerKey key = ControllerKey.generate();
  final RunStatementSigner signer =
      new RunStatementSigner("ci-prod", "https://taskbound.example/", key, Duration.ofMinutes(2), Clock.fixed(NOW, ZoneOffset.UTC));

  static RunStatement full() {
    return new RunStatement(
        "platform/payments/deploy", 128, "https://ci.example/job/platform/job/payments/job/deploy/128/", "42", "linux-7",
        List.of(new RunStatement.Cause("UserIdCause", "alice"), new RunStatement.Cause("SCMTriggerCause", null)),
        "alice", new RunStatement.Scm("0123abcd", "https://git.example/payments.git", "main"));
  }

  @Test
  void theStatementFollowsTheContract() throws Exception {
    SignedJWT jws = SignedJWT.parse(signer.sign(full()));

    assertThat(jws.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
    assertThat(jws.getHeader().getType().getType()).isEqualTo("taskbound-run+jwt");
    assertThat(jws.getHeader().getKeyID()).isEqualTo(key.keyId());
    assertThat(jws.verify(new ECDSAVerifier(key.publicKey()))).isTrue();
    JWTClaimsSet c = jws.getJWTClaimsSet();
    assertThat(c.getIssuer()).isEqualTo("ci-prod");
    assertThat(c.getStringClaim("controller")).isEqualTo("ci-prod");
    assertThat(c.getAudience()).containsExactly("https://taskbound.example");
    assertThat(c.getIssueTime().toInstant()).isEqualTo(NOW);
    assertThat(c.getExpirationTime().toInstant()).isEqualTo(NOW.plusSeconds(120));
    assertThat(c.getJWTID()).isNotBlank();
    assertThat(c.getStringClaim("job")).isEqualTo("platform/payments/deploy");
    assertThat(c.getClaim("build_number")).isEqualTo(128L);
    assertThat(c.getStringClaim("flow_node_id")).isEqualTo("42");
    assertThat(c.getStringClaim("node")).isEqualTo("linux-7");
    assertThat(c.getStringClaim("triggering_user")).isEqualTo("alice");
    assertThat(c.getListClaim("causes")).containsExactly(Map.of("type", "UserIdCause", "user_id", "alice"), Map.of("type", "SCMTriggerCause"));
    assertThat(c.getJSONObjectClaim("scm")).containsEntry("revision", "0123abcd").containsEntry("branch", "main");
  }

  @Test
  void absentFactsAreAbsentClaimsNotEmptyStrings() throws Exception {
    RunStatement bare = new RunStatement("job", 1, " ", "3", null, null, "", null);
    JWTClaimsSet c = SignedJWT.parse(signer.sign(bare)).getJWTClaimsSet();

    assertThat(c.getClaims()).doesNotContainKeys("build_url", "node", "triggering_user", "causes", "scm");
  }

  @Test
  void everyStatementHasItsOwnJti() throws Exception {
    String a = SignedJWT.parse(signer.sign(full())).getJWTClaimsSet().getJWTID();
    String b = SignedJWT.parse(signer.sign(full())).getJWTClaimsSet().getJWTID();
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void aLifetimeBeyondFiveMinutesOrABadControllerNameIsRefused() {
    assertThatThrownBy(() -> new RunStatementSigner("ci", "https://i", key, Duration.ofSeconds(301), Clock.systemUTC()))
        .hasMessageContaining("300");
    assertThatThrownBy(() -> new RunStatementSigner("ci prod", "https://i", key)).hasMessageContaining("controller name");
    assertThatThrownBy(() -> new RunStatement("", 1, null, "3", null, null, null, null)).hasMessageContaining("job");
    assertThatThrownBy(() -> new RunStatement("j", 0, null, "3", null, null, null, null)).hasMessageContaining("buildNumber");
  }
}
