package dev.taskbound.issuer.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.net.Socket;
import java.security.Principal;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token exchange with the X.509-SVID as subject, over mutual TLS to an HTTPS issuer: the downstream token is bound
 * to the certificate ({@code cnf.x5t#S256}); a connection without the certificate, or with another one, is refused.
 */
class X509SvidExchangeTest {
  static final String X509_TYPE = "https://taskbound.dev/token-type/x509-svid";
  @TempDir static Path dir;
  static Issuer issuer;
  static String url;
  static X509Certificate tlsCert;
  static HttpClient plainTls;
  static IssuerClient client;

  @BeforeAll
  static void start() throws Exception {
    KeyPair tlsKey = ecKeyPair();
    tlsCert = selfSigned("CN=127.0.0.1", tlsKey, new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
    Files.writeString(dir.resolve("tls.crt"), pem("CERTIFICATE", tlsCert.getEncoded()));
    Files.writeString(dir.resolve("tls.key"), pem("PRIVATE KEY", tlsKey.getPrivate().getEncoded()));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    url = "https://127.0.0.1:" + port;
    Files.writeString(
        dir.resolve("issuer.yaml"),
        String.join("\n",
            "dev: true",
            "issuer_url: " + url,
            "listen: 127.0.0.1:" + port,
            "data_dir: " + dir.resolve("data"),
            "tls: {cert_file: " + dir.resolve("tls.crt") + ", key_file: " + dir.resolve("tls.key") + "}",
            ""));
    issuer = Issuer.start(ConfigLoader.load(dir.resolve("issuer.yaml")), Clock.systemUTC());
    plainTls = https(null, null);
    client = new IssuerClient(url, plainTls, Clock.systemUTC(), Duration.ofSeconds(10));
  }

  @AfterAll
  static void stop() {
    if (issuer != null) {
      issuer.close();
    }
  }

  @Test
  void x509SvidOverMutualTlsBuysACertificateBoundToken() throws Exception {
    TaskKey key = TaskKey.generate();
    BeginTaskResponse begun = begin(key);
    List<X509Certificate> chain = chain(begun.x509SvidChainPem());
    HttpClient mtls = https(chain, key.privateKey());

    HttpResponse<String> r = post(mtls, exchangeForm(leaf(chain), "sts.amazonaws.com"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String token = ApiJson.mapper().readTree(r.body()).get("access_token").asText();

    JWTClaimsSet claims = verifyWithJwks(token);
    assertThat(claims.getSubject()).isEqualTo(begun.spiffeId());
    assertThat(claims.getAudience()).containsExactly("sts.amazonaws.com");
    String thumbprint =
        Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(chain.get(0).getEncoded()));
    assertThat(claims.getJSONObjectClaim("cnf")).containsEntry("x5t#S256", thumbprint);

    // After the end the same certificate buys nothing.
    client.end(begun.taskId(), begun.controlToken(), "succeeded", null);
    assertError(post(mtls, exchangeForm(leaf(chain), "sts.amazonaws.com")), "invalid_grant");
  }

  @Test
  void x509SubjectWithoutTheCertificateOnTheConnectionIsRefused() throws Exception {
    TaskKey key = TaskKey.generate();
    List<X509Certificate> chain = chain(begin(key).x509SvidChainPem());
    assertError(post(plainTls, exchangeForm(leaf(chain), "sts.amazonaws.com")), "invalid_request");

    // Another task's certificate as subject_token on this task's connection.
    TaskKey other = TaskKey.generate();
    List<X509Certificate> otherChain = chain(begin(other).x509SvidChainPem());
    assertError(post(https(chain, key.privateKey()), exchangeForm(leaf(otherChain), "sts.amazonaws.com")), "invalid_grant");
  }

  @Test
  void aClientCertificateFromAnotherCaIsRefusedAtTheHandshake() throws Exception {
    KeyPair foreign = ecKeyPair();
    X509Certificate cert =
        selfSigned("CN=foreign", foreign,
            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://taskbound.test/dev/x")));
    HttpClient mtls = https(List.of(cert), foreign.getPrivate());
    assertThatThrownBy(() -> post(mtls, exchangeForm(leaf(List.of(cert)), "sts.amazonaws.com"))).isInstanceOf(IOException.class);
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  static BeginTaskResponse begin(TaskKey key) {
    return client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), key, List.of("sts.amazonaws.com"), "10m");
  }

  static JWTClaimsSet verifyWithJwks(String token) throws Exception {
    HttpResponse<String> jwks = plainTls.send(HttpRequest.newBuilder(URI.create(url + "/jwks")).build(), HttpResponse.BodyHandlers.ofString());
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(
        new JWSVerificationKeySelector<>(
            java.util.Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256), new ImmutableJWKSet<>(JWKSet.parse(jwks.body()))));
    return processor.process(token, null);
  }

  static String leaf(List<X509Certificate> chain) throws Exception {
    return Base64.getEncoder().encodeToString(chain.get(0).getEncoded());
  }

  static String exchangeForm(String subjectToken, String audience) {
    Map<String, String> f =
        Map.of(
            "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token", subjectToken,
            "subject_token_type", X509_TYPE,
            "audience", audience);
    StringBuilder out = new StringBuilder();
    f.forEach((k, v) -> out.append(out.length() == 0 ? "" : "&").append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return out.toString();
  }

  static HttpResponse<String> post(HttpClient http, String form) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url + "/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static void assertError(HttpResponse<String> r, String error) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    JsonNode body = ApiJson.mapper().readTree(r.body());
    assertThat(body.get("error").asText()).isEqualTo(error);
  }

  static List<X509Certificate> chain(String pem) throws Exception {
    return CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
        .stream()
        .map(c -> (X509Certificate) c)
        .toList();
  }

  /** An HTTPS client trusting the issuer's TLS certificate, presenting {@code chain} when given. */
  static HttpClient https(List<X509Certificate> chain, PrivateKey key) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("issuer", tlsCert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (chain != null) {
      char[] password = "test".toCharArray();
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("svid", key, password, chain.toArray(new Certificate[0]));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);
    }
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(kmf == null ? null : new KeyManager[] {new AlwaysPresent((X509ExtendedKeyManager) kmf.getKeyManagers()[0])}, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** Presents our certificate even when the server's list of accepted issuers does not name its CA. */
  static final class AlwaysPresent extends X509ExtendedKeyManager {
    private final X509ExtendedKeyManager keys;

    AlwaysPresent(X509ExtendedKeyManager keys) {
      this.keys = keys;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "svid";
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "svid";
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"svid"};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return keys.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return keys.getPrivateKey(alias);
    }
  }

  static KeyPair ecKeyPair() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    return gen.generateKeyPair();
  }

  static X509Certificate selfSigned(String name, KeyPair key, GeneralNames san) throws Exception {
    Instant now = Instant.now();
    return new JcaX509CertificateConverter()
        .getCertificate(
            new JcaX509v3CertificateBuilder(
                    new X500Name(name), BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(1, ChronoUnit.HOURS)),
                    Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name(name), key.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, san)
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
