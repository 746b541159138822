package dev.taskbound.issuer.attest;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Optional;

/**
 * GitHub attestation tokens as a begin request carries them: either any string, or a JWT signed by the trusted key
 * whose claims are the fuzzer's (so claim checks are reached, not only the signature check). Verification either
 * attests or throws {@link AttestationException} (a 4xx); anything else would be a 500. Seeds:
 * {@code src/test/resources/.../AttestationFuzzTestInputs} (claims are valid at the fixed clock below).
 */
class AttestationFuzzTest {
  static final String GITHUB = "https://token.actions.githubusercontent.com";
  static final String TASKBOUND = "https://taskbound.example.com";
  static final MutableClock CLOCK = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
  static final RSAKey KEY;
  static final Store STORE;
  static final GitHubOidcAttestor ATTESTOR;

  static {
    try {
      KEY = new RSAKeyGenerator(2048).keyID("fuzz").generate();
      // Under target/ (the build's own scratch space): a JVM-wide fixture has no test to delete it after.
      STORE = TestStores.open(Files.createTempDirectory(Files.createDirectories(java.nio.file.Path.of("target")), "attestation-fuzz"));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ATTESTOR = new GitHubOidcAttestor(new GitHubAttestorConfig(GITHUB, null), TASKBOUND, STORE, CLOCK,
        kid -> KEY.getKeyID().equals(kid) ? Optional.of(KEY.toPublicJWK()) : Optional.empty());
  }

  @FuzzTest(maxDuration = "5s")
  void githubTokensAreAttestedOrRefused(FuzzedDataProvider data) throws JOSEException {
    String token;
    if (data.consumeBoolean()) {
      JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(KEY.getKeyID()).type(JOSEObjectType.JWT).build();
      JWSObject jws = new JWSObject(header, new Payload(data.consumeRemainingAsString()));
      jws.sign(new RSASSASigner(KEY));
      token = jws.serialize();
    } else {
      token = data.consumeRemainingAsString();
    }
    try {
      ATTESTOR.attest(new Attestation("github", token));
    } catch (AttestationException refused) {
      // 401 attestation_failed: the contract for a token that does not hold.
    }
  }
}
