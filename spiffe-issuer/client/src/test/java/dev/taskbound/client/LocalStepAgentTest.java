package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStepAgentTest {
  @TempDir Path parent;
  final LocalStepAgent agent = new LocalStepAgent();

  @Test
  void theKeyStaysInAPrivateDirectoryAndOnlyItsPublicHalfAndProofComeBack() throws Exception {
    String digest = TaskKey.attestationDigest("statement");
    KeyOffer offer = agent.createKey(parent.toString(), "https://issuer.example", digest);

    Path dir = Path.of(offer.directory());
    assertThat(dir.getParent()).isEqualTo(parent);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("svid_key.pem")))).isEqualTo("rw-------");
    Map<String, Object> jwk = offer.publicJwk();
    assertThat(jwk).doesNotContainKey("d");
    SignedJWT proof = SignedJWT.parse(offer.proof());
    assertThat(proof.verify(new ECDSAVerifier(ECKey.parse(jwk)))).isTrue();
    assertThat(proof.getJWTClaimsSet().getStringClaim("attestation_sha256")).isEqualTo(digest);
    assertThat(proof.getJWTClaimsSet().getAudience()).containsExactly("https://issuer.example");

    agent.wipe(offer.directory());
    assertThat(dir).doesNotExist();
    agent.wipe(offer.directory());
  }

  @Test
  void aTempDirectoryIsUsedWithoutAParent() throws Exception {
    KeyOffer offer = agent.createKey(null, "https://issuer.example", TaskKey.attestationDigest("s"));
    try {
      assertThat(Path.of(offer.directory()).resolve("svid_key.pem")).exists();
    } finally {
      agent.wipe(offer.directory());
    }
  }

  @Test
  void theEnvironmentNamesPathsLikeTheCliAndNoToken() {
    WrittenFiles files = new WrittenFiles("/t/d", "/t/d/svid.pem", "/t/d/svid_key.pem", "/t/d/bundle.pem", "/t/d/jwt_svid.token",
        Map.of("sts.amazonaws.com", "/t/d/jwt_svid.sts.amazonaws.com.token"));

    Map<String, String> env = files.environment("https://issuer.example", "tsk_1", "spiffe://td/x");
    assertThat(env)
        .containsEntry("TASKBOUND_SVID_DIR", "/t/d")
        .containsEntry("TASKBOUND_TASK_ID", "tsk_1")
        .containsEntry("TASKBOUND_SPIFFE_ID", "spiffe://td/x")
        .containsEntry("TASKBOUND_JWT_SVID_FILE", "/t/d/jwt_svid.token")
        .containsEntry("TASKBOUND_JWT_STS_2EAMAZONAWS_2ECOM_FILE", "/t/d/jwt_svid.sts.amazonaws.com.token");
  }
}
