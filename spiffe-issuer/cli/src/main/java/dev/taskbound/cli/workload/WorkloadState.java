package dev.taskbound.cli.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.nimbusds.jose.jwk.JWKSet;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.client.Svids;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.text.ParseException;
import java.util.List;

/**
 * The task's credentials in Workload API form (DER bytes, JWKS), converted once per rotation so every stream
 * sends the same bytes.
 *
 * @param trustDomainId the trust domain as a SPIFFE ID ({@code spiffe://example.org}), the key of bundle maps
 * @param jwtBundleJson a JWKS holding only the {@code jwt-svid} keys of the issuer's bundle
 */
record WorkloadState(
    String spiffeId,
    String trustDomainId,
    ByteString x509SvidDer,
    ByteString privateKeyDer,
    ByteString bundleDer,
    List<JwtSvidCredential> jwtSvids,
    ByteString jwtBundleJson,
    JWKSet jwtKeys) {

  static WorkloadState of(Svids svids, byte[] pkcs8PrivateKey) {
    String td = "spiffe://" + URI.create(svids.spiffeId()).getHost();
    ByteString jwks = jwtSvidKeys(svids.bundleJson());
    JWKSet keys;
    try {
      keys = JWKSet.parse(jwks.toStringUtf8());
    } catch (ParseException e) {
      throw new IllegalStateException("the issuer's bundle holds a JWT key that does not parse", e);
    }
    return new WorkloadState(
        svids.spiffeId(), td, der(svids.x509SvidChainPem()), ByteString.copyFrom(pkcs8PrivateKey), der(svids.bundlePem()),
        svids.jwtSvids(), jwks, keys);
  }

  /** Certificates of a PEM bundle as concatenated ASN.1 DER, in order, as the Workload API wants them. */
  static ByteString der(String pem) {
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        out.write(c.getEncoded());
      }
      return ByteString.copyFrom(out.toByteArray());
    } catch (CertificateException | IOException e) {
      throw new IllegalStateException("the issuer sent certificates that do not parse", e);
    }
  }

  /** The {@code use: jwt-svid} keys of a SPIFFE bundle document; x509 authorities carry no kid and would confuse JWKS readers. */
  static ByteString jwtSvidKeys(String bundleJson) {
    ObjectNode jwks = ApiJson.mapper().createObjectNode();
    ArrayNode keys = jwks.putArray("keys");
    if (bundleJson != null) {
      try {
        for (JsonNode k : ApiJson.mapper().readTree(bundleJson).path("keys")) {
          if ("jwt-svid".equals(k.path("use").asText())) {
            keys.add(k);
          }
        }
      } catch (IOException e) {
        throw new IllegalStateException("the issuer's bundle document does not parse", e);
      }
    }
    return ByteString.copyFromUtf8(jwks.toString());
  }
}
