package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.RevokedCredential;
import dev.taskbound.api.TaskView;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.client.evidence.CredentialStatus;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.VerificationResult;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.testing.MutableClock;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same credential is described the same way everywhere: its id (an X.509 serial in {@code openssl x509 -serial}
 * form, lower case) and its residual exposure (whole seconds) agree between the answer to end, the task view, the
 * evidence bundle and the CRL.
 */
class EndAndEvidenceAgreeTest {
  @TempDir Path dataDir;
  // Whole second plus 100 ms: the end below happens at .900, where truncating milliseconds and seconds differ.
  final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS).plusMillis(100));
  final HttpClient http = HttpClient.newHttpClient();
  Issuer issuer;
  IssuerClient client;

  @BeforeEach
  void start() throws Exception {
    issuer = Issuer.start(ConfigLoader.override(ConfigLoader.dev(dataDir), true, "127.0.0.1:0", null), clock);
    client = new IssuerClient(issuer.url());
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  @Test
  void endAnswerTaskViewBundleAndCrlAgreeOnIdsAndResidualExposure() throws Exception {
    BeginTaskResponse begun =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud-1"), null);
    // One serial in eight starts with a zero nibble (127 random bits): renew until one does.
    String chain = begun.x509SvidChainPem();
    for (int i = 0; i < 500 && !opensslSerial(leaf(chain)).startsWith("0"); i++) {
      chain = client.renew(begun.taskId(), begun.controlToken()).x509SvidChainPem();
    }
    String zeroNibble = opensslSerial(leaf(chain)).toLowerCase(Locale.ROOT);
    assertThat(zeroNibble).startsWith("0").hasSizeGreaterThan(1);
    assertThat(zeroNibble.length() % 2).isZero();

    clock.set(clock.instant().plusSeconds(30).plusMillis(800));
    EndTaskResponse ended = client.end(begun.taskId(), begun.controlToken(), "succeeded", null);

    assertThat(ended.revoked()).extracting(RevokedCredential::id).contains(zeroNibble);
    TaskView view = client.get(begun.taskId(), begun.controlToken());
    assertThat(view.credentials()).extracting(c -> c.id()).contains(zeroNibble);

    VerificationResult verified =
        EvidenceVerifier.verify(client.evidenceBundle(begun.taskId()), NoteKey.parse(client.evidenceKey().trim()));
    assertThat(verified.failures()).isEmpty();
    List<CredentialStatus> logged = verified.statement().credentials();
    assertThat(logged).extracting(CredentialStatus::credentialId).contains(zeroNibble);
    for (RevokedCredential r : ended.revoked()) {
      CredentialStatus inLog =
          logged.stream().filter(c -> c.kind().equals(r.kind()) && c.credentialId().equals(r.id())).findFirst().orElseThrow();
      assertThat(r.residualExposureSeconds()).as(r.kind() + " " + r.id()).isEqualTo(inLog.residualExposureSeconds());
    }

    X509CRL crl = crl();
    assertThat(crl.getRevokedCertificates()).extracting(e -> opensslSerial(e.getSerialNumber()).toLowerCase(Locale.ROOT)).contains(zeroNibble);
  }

  /** What {@code openssl x509 -serial} prints: the unsigned value's bytes in upper-case hex, no sign byte. */
  static String opensslSerial(X509Certificate cert) {
    return opensslSerial(cert.getSerialNumber());
  }

  static String opensslSerial(BigInteger serial) {
    byte[] bytes = serial.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return HexFormat.of().withUpperCase().formatHex(bytes);
  }

  static X509Certificate leaf(String chainPem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(chainPem.getBytes(StandardCharsets.UTF_8)));
  }

  X509CRL crl() throws Exception {
    HttpResponse<byte[]> r =
        http.send(HttpRequest.newBuilder(URI.create(issuer.url() + "/crl")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(r.body()));
  }
}
