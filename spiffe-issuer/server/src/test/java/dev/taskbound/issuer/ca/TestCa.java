package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.config.IssuerConfig;
import io.spiffe.bundle.jwtbundle.JwtBundle;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.spiffeid.TrustDomain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;

/** Configurations and independent (java-spiffe) views of our bundle for the CA tests. */
final class TestCa {
  static final String TRUST_DOMAIN = "ci.example.org";
  static final String ISSUER_URL = "https://issuer.ci.example.org";
  static final SpiffeId WORKLOAD =
      SpiffeId.parse("spiffe://ci.example.org/ci/github/acme/app/run/42/attempt/1/job/build");

  private TestCa() {}

  static IssuerConfig.Ca generatedCa(Duration rootLifetime, Duration rotateAfter) {
    return new IssuerConfig.Ca("generated", null, null, null, null, rootLifetime, rotateAfter);
  }

  static IssuerConfig config(Path dataDir, IssuerConfig.Ca ca, IssuerConfig.Jwt jwt) {
    return new IssuerConfig(
        TRUST_DOMAIN, ISSUER_URL, "127.0.0.1", 0, dataDir, null, ca, jwt,
        new IssuerConfig.StoreConfig(null, null, null, null),
        new IssuerConfig.Ttl(Duration.ofHours(1), Duration.ofHours(6), Duration.ofHours(1), Duration.ofMinutes(5),
            Duration.ofMinutes(2)),
        false);
  }

  static IssuerConfig generated(Path dataDir) {
    return config(dataDir, generatedCa(null, null), new IssuerConfig.Jwt("ES256", null, null));
  }

  static KeyPair taskKey() {
    return KeyAlgorithm.EC_P256.generate();
  }

  static TrustDomain trustDomain() {
    return TrustDomain.parse(TRUST_DOMAIN);
  }

  /**
   * JWT authorities as java-spiffe reads them from our {@code GET /bundle} body. java-spiffe 0.8 rejects a JWKS
   * holding any key without {@code kid}, so (as a SPIFFE verifier selects by {@code use}) we hand it the
   * {@code jwt-svid} entries, untouched.
   */
  static JwtBundle jwtBundle(String bundleJson) throws Exception {
    JsonNode root = ApiJson.mapper().readTree(bundleJson);
    var jwks = ApiJson.mapper().createObjectNode();
    var keys = jwks.putArray("keys");
    for (JsonNode key : root.get("keys")) {
      if ("jwt-svid".equals(key.path("use").asText())) {
        keys.add(key);
      }
    }
    return JwtBundle.parse(trustDomain(), ApiJson.mapper().writeValueAsBytes(jwks));
  }

  /** X.509 authorities taken from the {@code x5c} of the {@code x509-svid} entries of our bundle JSON. */
  static X509Bundle x509Bundle(String bundleJson) throws Exception {
    JsonNode root = ApiJson.mapper().readTree(bundleJson);
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<X509Certificate> certs = new ArrayList<>();
    for (JsonNode key : root.get("keys")) {
      if ("x509-svid".equals(key.path("use").asText())) {
        byte[] der = Base64.getDecoder().decode(key.get("x5c").get(0).asText());
        certs.add((X509Certificate) factory.generateCertificate(new java.io.ByteArrayInputStream(der)));
      }
    }
    X509Bundle bundle = new X509Bundle(trustDomain());
    certs.forEach(bundle::addX509Authority);
    return bundle;
  }

  static Map<String, Object> facts() {
    return Map.of("task_id", "t-123", "platform", "github");
  }
}
