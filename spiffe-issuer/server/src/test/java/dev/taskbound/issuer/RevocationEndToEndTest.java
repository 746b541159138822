package dev.taskbound.issuer;

import dev.taskbound.issuer.testing.ShiftedClock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.TaskRecord;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a task's end (by its client or by the reaper) takes back, seen from outside: the CRL fetched over HTTP and
 * checked with the JCA against the CA of the served bundle, and the task's state and credentials in the store.
 */
class RevocationEndToEndTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dataDir;
  private final ShiftedClock clock = new ShiftedClock();
  private Issuer issuer;
  private IssuerClient client;
  private String bundlePem;

  @BeforeEach
  void start() throws Exception {
    Path config = dataDir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "dev: true",
            "listen: 127.0.0.1:0",
            "data_dir: " + dataDir.resolve("data"),
            "ttl: {task_default: 1h, task_max: 2h, x509_svid: 30m, jwt_svid: 5m, heartbeat: 10m}",
            "crl: {next_update: 2m}",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), clock);
    client = new IssuerClient(issuer.url());
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  @Test
  void crlFromHttpListsEveryX509SvidOfTheEndedTaskAndNoneOfAnActiveOne() throws Exception {
    BeginTaskResponse ended = begin("1h");
    RenewTaskResponse renewed = client.renew(ended.taskId(), ended.controlToken());
    BeginTaskResponse active = begin("1h");
    Fetched before = fetchCrl();
    assertThat(before.crl().getRevokedCertificates()).isNull();

    client.end(ended.taskId(), ended.controlToken(), "succeeded", null);

    Fetched after = fetchCrl();
    X509CRL crl = after.crl();
    assertThat(after.contentType()).isEqualTo("application/pkix-crl");
    crl.verify(bundleCa().getPublicKey());
    assertThat(crl.getIssuerX500Principal()).isEqualTo(bundleCa().getSubjectX500Principal());
    assertThat(serialsOn(crl)).containsExactlyInAnyOrder(serialOf(ended.x509SvidChainPem()), serialOf(renewed.x509SvidChainPem()));
    assertThat(crl.getRevokedCertificate(serialOf(active.x509SvidChainPem()))).isNull();
    assertThat(Duration.between(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant())).isEqualTo(Duration.ofMinutes(2));
    assertThat(crlNumber(crl)).isGreaterThan(crlNumber(before.crl()));
    assertThat(authorityKeyId(crl)).isEqualTo(new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(bundleCa()).getKeyIdentifier());
  }

  @Test
  void crlIsServedFromCacheUntilSomethingChanges() throws Exception {
    begin("1h");
    byte[] first = fetchCrl().der();
    assertThat(fetchCrl().der()).isEqualTo(first);

    BeginTaskResponse task = begin("1h");
    client.end(task.taskId(), task.controlToken(), "failed", null);
    assertThat(fetchCrl().der()).isNotEqualTo(first);
  }

  @Test
  void revokedSerialDropsOffTheCrlOnceItExpires() throws Exception {
    BeginTaskResponse task = begin("1h");
    BigInteger serial = serialOf(task.x509SvidChainPem());
    client.end(task.taskId(), task.controlToken(), "aborted", null);
    assertThat(serialsOn(fetchCrl().crl())).contains(serial);

    clock.advance(Duration.ofMinutes(31)); // x509_svid lives 30m

    X509CRL later = fetchCrl().crl();
    later.verify(bundleCa().getPublicKey());
    assertThat(serialsOn(later)).doesNotContain(serial);
  }

  @Test
  void reaperEndsAbandonedAndExpiredTasksWithRevocationButSparesARenewedOne() throws Exception {
    BeginTaskResponse abandoned = begin("1h");
    BeginTaskResponse expiring = begin("5m");
    BeginTaskResponse renewing = begin("1h");

    clock.advance(Duration.ofMinutes(6));
    client.renew(renewing.taskId(), renewing.controlToken());
    issuer.reaper().reap();
    assertThat(task(expiring).outcome()).isEqualTo(TaskOutcome.EXPIRED);
    assertThat(task(abandoned).active()).as("6m without heartbeat is inside the 10m window").isTrue();

    clock.advance(Duration.ofMinutes(6));
    issuer.reaper().reap();
    assertThat(task(abandoned).outcome()).isEqualTo(TaskOutcome.ABANDONED);
    assertThat(task(renewing).active()).as("renewed 6m ago").isTrue();

    for (BeginTaskResponse reaped : List.of(abandoned, expiring)) {
      assertThat(issuer.store().credentialsOf(reaped.taskId()))
          .isNotEmpty()
          .allSatisfy(c -> assertThat(c.revokedAt()).isEqualTo(task(reaped).endedAt()));
    }
    X509CRL crl = fetchCrl().crl();
    crl.verify(bundleCa().getPublicKey());
    assertThat(serialsOn(crl)).contains(serialOf(abandoned.x509SvidChainPem()));
    // The expired task's SVID was capped at the task's end of life, so it has expired too: nothing left to list.
    assertThat(serialsOn(crl)).doesNotContain(serialOf(expiring.x509SvidChainPem()));
    assertThat(serialsOn(crl)).doesNotContain(serialOf(renewing.x509SvidChainPem()));

    assertThat(issuer.reaper().reap().ended()).as("a second pass finds nothing to do").isZero();
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private BeginTaskResponse begin(String ttl) {
    BeginTaskResponse begun =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("vault"), ttl);
    bundlePem = begun.bundlePem();
    return begun;
  }

  private TaskRecord task(BeginTaskResponse begun) {
    return issuer.store().findTask(begun.taskId()).orElseThrow();
  }

  private record Fetched(byte[] der, String contentType, X509CRL crl) {}

  private Fetched fetchCrl() throws Exception {
    HttpResponse<byte[]> r =
        HTTP.send(HttpRequest.newBuilder(URI.create(issuer.url() + "/crl")).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(r.body()));
    return new Fetched(r.body(), r.headers().firstValue("Content-Type").orElse(""), crl);
  }

  /** The CA that signs SVIDs now: the root of the bundle the last begin returned (the dev CA signs directly). */
  private X509Certificate bundleCa() throws Exception {
    var certs = CertificateFactory.getInstance("X.509")
        .generateCertificates(new ByteArrayInputStream(bundlePem.getBytes(StandardCharsets.UTF_8)));
    assertThat(certs).hasSize(1);
    return (X509Certificate) certs.iterator().next();
  }

  private static BigInteger serialOf(String chainPem) throws Exception {
    X509Certificate leaf =
        (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(chainPem.getBytes(StandardCharsets.UTF_8)));
    return leaf.getSerialNumber();
  }

  private static List<BigInteger> serialsOn(X509CRL crl) {
    return crl.getRevokedCertificates() == null
        ? List.of()
        : crl.getRevokedCertificates().stream().map(e -> e.getSerialNumber()).toList();
  }

  private static BigInteger crlNumber(X509CRL crl) {
    byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
    assertThat(ext).as("CRL number extension").isNotNull();
    return ASN1Integer.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getValue();
  }

  private static byte[] authorityKeyId(X509CRL crl) {
    byte[] ext = crl.getExtensionValue(Extension.authorityKeyIdentifier.getId());
    assertThat(ext).as("AKI extension").isNotNull();
    return AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
  }
}
