package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        Map.of("sts.amazonaws.com", "/t/d/jwt_svid.sts.amazonaws.com.token"),
        Map.of("sts.amazonaws.com", "/t/d/downstream.sts.amazonaws.com.token"));

    Map<String, String> env = files.environment("https://issuer.example", "tsk_1", "spiffe://td/x");
    assertThat(env)
        .containsEntry("TASKBOUND_SVID_DIR", "/t/d")
        .containsEntry("TASKBOUND_TASK_ID", "tsk_1")
        .containsEntry("TASKBOUND_SPIFFE_ID", "spiffe://td/x")
        .containsEntry("TASKBOUND_JWT_SVID_FILE", "/t/d/jwt_svid.token")
        .containsEntry("TASKBOUND_JWT_STS_2EAMAZONAWS_2ECOM_FILE", "/t/d/jwt_svid.sts.amazonaws.com.token")
        .containsEntry("TASKBOUND_DOWNSTREAM_STS_2EAMAZONAWS_2ECOM_FILE", "/t/d/downstream.sts.amazonaws.com.token")
        .containsEntry("AWS_WEB_IDENTITY_TOKEN_FILE", "/t/d/downstream.sts.amazonaws.com.token");
  }

  @Test
  void everyValueCrossesAChannelThatAcceptsOnlyJdkClasses() throws Exception {
    // What Jenkins' remoting class filter (JEP-200) does to a library jar's classes, done by the JDK's own filter.
    KeyOffer offer = agent.createKey(parent.toString(), "https://issuer.example", TaskKey.attestationDigest("s"));
    assertThatThrownBy(() -> JdkOnlyChannel.roundTrip(offer)).isInstanceOf(java.io.InvalidClassException.class);

    KeyOffer back = KeyOffer.fromWire(JdkOnlyChannel.roundTrip(offer.toWire()));
    assertThat(back.directory()).isEqualTo(offer.directory());
    assertThat(back.publicJwk()).isEqualTo(offer.publicJwk());
    assertThat(back.proof()).isEqualTo(offer.proof());

    Svids svids = new Svids("tsk_1", "spiffe://td/x", "CHAIN", List.of(
        new dev.taskbound.api.JwtSvidCredential("sts.amazonaws.com", "jwt-1", null),
        new dev.taskbound.api.JwtSvidCredential("https://issuer.example", "jwt-2", null)), "BUNDLE", null, null, null);
    Instant now = Instant.parse("2026-12-01T00:00:00Z");
    SvidFiles files = new SvidFiles(svids, List.of(new DownstreamToken("sts.amazonaws.com", "down-1", now, now.plusSeconds(600))));
    WrittenFiles written = agent.write(offer.directory(), SvidFiles.fromWire(JdkOnlyChannel.roundTrip(files.toWire())));
    WrittenFiles writtenBack = WrittenFiles.fromWire(JdkOnlyChannel.roundTrip(written.toWire()));

    assertThat(writtenBack.toWire()).isEqualTo(written.toWire());
    assertThat(writtenBack.tokenFiles().keySet()).containsExactly("sts.amazonaws.com", "https://issuer.example");
    assertThat(Files.readString(Path.of(writtenBack.jwtSvid()))).isEqualTo("jwt-1");
    assertThat(Files.readString(Path.of(writtenBack.tokenFiles().get("https://issuer.example")))).isEqualTo("jwt-2");
    assertThat(Files.readString(Path.of(writtenBack.downstreamFiles().get("sts.amazonaws.com")))).isEqualTo("down-1");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(writtenBack.downstreamFiles().get("sts.amazonaws.com")))))
        .isEqualTo("rw-------");
  }

  @Test
  void aWireAnswerMissingAFieldIsRefused() {
    assertThatThrownBy(() -> KeyOffer.fromWire(Map.of("directory", "/d", "proof", "p")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("public_jwk");
  }

  @Test
  void staleTaskDirectoriesUnderWorkspaceTempDirsAreSweptButRunningOnesAndOthersStay() throws Exception {
    Path tmp = Files.createDirectories(parent.resolve("workspace/folder/job@tmp"));
    KeyOffer stale = agent.createKey(tmp.toString(), "https://issuer.example", TaskKey.attestationDigest("a"));
    KeyOffer running = agent.createKey(tmp.toString(), "https://issuer.example", TaskKey.attestationDigest("b"));
    Path lookalike = Files.createDirectories(parent.resolve("workspace/job/taskbound-0b9f6a3e-2c1d-4e5f-8a7b-9c0d1e2f3a4b"));
    Path other = Files.createDirectories(tmp.resolve("durable-1234"));
    Path elsewhere = Files.createDirectories(parent.resolve("outside@tmp"));
    Files.createSymbolicLink(tmp.resolve("taskbound-1b9f6a3e-2c1d-4e5f-8a7b-9c0d1e2f3a4b"), elsewhere);

    List<String> wiped = LocalStepAgent.sweepStale(parent.resolve("workspace"), Set.of(running.directory()), 6);

    assertThat(wiped).containsExactly(stale.directory());
    assertThat(Path.of(stale.directory())).doesNotExist();
    assertThat(Path.of(running.directory()).resolve("svid_key.pem")).exists();
    assertThat(lookalike).exists();
    assertThat(other).exists();
    assertThat(elsewhere).exists();
    assertThat(LocalStepAgent.sweepStale(parent.resolve("nowhere"), Set.of(), 6)).isEmpty();
  }
}
