package dev.taskbound.issuer.task;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.taskbound.issuer.testing.MutableClock;
import java.time.Instant;

/**
 * Proofs of possession: any string, or a JWS the task key really signed over the fuzzer's claims. The verifier
 * either accepts or throws a 4xx {@link TaskException}; a 5xx problem or any other exception is a finding.
 * Seeds: {@code src/test/resources/.../ProofFuzzTestInputs} (claims valid at the fixed clock below).
 */
class ProofFuzzTest {
  static final String ISSUER = "https://taskbound.example.com";
  static final String ATTESTATION = "tbdev_fuzz";
  static final ECKey TASK_KEY;
  static final ProofOfPossessionVerifier VERIFIER =
      new ProofOfPossessionVerifier(new MutableClock(Instant.parse("2025-06-01T12:00:00Z")));

  static {
    try {
      TASK_KEY = new ECKeyGenerator(Curve.P_256).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "5s")
  void proofsAreAcceptedOrRefusedWithA4xx(FuzzedDataProvider data) throws JOSEException {
    String proof;
    if (data.consumeBoolean()) {
      JWSObject jws = new JWSObject(new JWSHeader(JWSAlgorithm.ES256), new Payload(data.consumeRemainingAsString()));
      jws.sign(new ECDSASigner(TASK_KEY));
      proof = jws.serialize();
    } else {
      proof = data.consumeRemainingAsString();
    }
    try {
      VERIFIER.verify(proof, TASK_KEY.toPublicJWK(), ISSUER, ATTESTATION);
    } catch (TaskException e) {
      if (e.type().status() >= 500) {
        throw e;
      }
    }
  }
}
