package dev.taskbound.client.jenkins;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ControllerKeyTest {

  @Test
  void aKeyReloadedFromItsPemIsTheSameKeyWithTheSameKid() {
    ControllerKey key = ControllerKey.generate();
    ControllerKey reloaded = ControllerKey.fromPem(key.privateKeyPem());

    assertThat(reloaded).isEqualTo(key);
    assertThat(reloaded.keyId()).isEqualTo(key.keyId()).matches("[A-Za-z0-9_-]{43}");
    assertThat(reloaded.publicKey().getW()).isEqualTo(key.publicKey().getW());
  }

  @Test
  void thePublicJwksCarriesKidUseAndAlgAndNoPrivateMember() throws Exception {
    ControllerKey key = ControllerKey.generate();
    JWKSet set = JWKSet.parse(key.publicJwksJson());

    assertThat(set.getKeys()).singleElement().satisfies(jwk -> {
      assertThat(jwk.isPrivate()).isFalse();
      assertThat(jwk.getKeyID()).isEqualTo(key.keyId());
      assertThat(jwk.getKeyUse().identifier()).isEqualTo("sig");
      assertThat(jwk.getAlgorithm().getName()).isEqualTo("ES256");
    });
    assertThat(key.publicJwksJson()).doesNotContain("\"d\"");
  }

  @Test
  void toStringNeverShowsThePrivateKey() {
    ControllerKey key = ControllerKey.generate();
    String body = key.privateKeyPem().split("\n")[1];

    assertThat(key.toString()).contains(key.keyId()).contains("redacted").doesNotContain(body);
  }

  @Test
  void aKeyOnAnotherCurveIsRefused() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp384r1"));
    String pem = pem(gen.generateKeyPair().getPrivate().getEncoded());

    assertThatThrownBy(() -> ControllerKey.fromPem(pem)).hasMessageContaining("P-256");
  }

  @Test
  void anRsaKeyOrGarbageIsRefusedWithoutEchoingTheInput() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    String rsa = pem(gen.generateKeyPair().getPrivate().getEncoded());
    assertThatThrownBy(() -> ControllerKey.fromPem(rsa)).hasMessageContaining("not an EC private key");

    String garbage = "-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0LXZhbHVl\n-----END EC PRIVATE KEY-----\n";
    assertThatThrownBy(() -> ControllerKey.fromPem(garbage))
        .hasMessageContaining("PKCS#8")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("c2VjcmV0LXZhbHVl"));
  }

  private static String pem(byte[] der) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END PRIVATE KEY-----\n";
  }
}
