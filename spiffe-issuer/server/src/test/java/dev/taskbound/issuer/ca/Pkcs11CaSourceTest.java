package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.issuer.config.IssuerConfig;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.svid.x509svid.X509SvidValidator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CA key that never leaves a SoftHSM2 token, signing through SunPKCS11. */
class Pkcs11CaSourceTest {
  private static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
  private static final String PIN = "task-1234";
  private static final String PIN_ENV = "TASKBOUND_TEST_HSM_PIN";
  private static final String KEY_ALIAS = "taskbound-ca";

  @TempDir Path dataDir;
  private final MutableClock clock = new MutableClock();
  private final TestStores stores = new TestStores();

  @AfterEach
  void closeStores() {
    stores.close();
  }

  @Test
  void svidSignedByATokenKeyValidatesInJavaSpiffe() throws Exception {
    long slot = initToken();
    IssuerConfig.Pkcs11 p11 = new IssuerConfig.Pkcs11(LIBRARY, Math.toIntExact(slot), PIN_ENV, KEY_ALIAS, null);
    X509Certificate root = createCaKeyInToken(p11);

    IssuerConfig.Ca caConfig = new IssuerConfig.Ca("pkcs11", null, null, null, p11, null, null);
    CertificateAuthority ca =
        CertificateAuthority.create(
            TestCa.config(dataDir, caConfig, new IssuerConfig.Jwt(null, null, null)), stores.open(dataDir), clock,
            Map.of(PIN_ENV, PIN)::get);
    KeyPair taskKey = TestCa.taskKey();
    X509SvidIssued issued =
        ca.x509Minter().mint(TestCa.WORKLOAD, taskKey.getPublic(), clock.instant().plusSeconds(600));

    assertThat(ca.x509Authority().privateKey().getEncoded()).as("the key stays in the token").isNull();
    assertThat(ca.bundle().current().x509Authorities()).containsExactly(root);
    assertThat(issued.chain()).hasSize(1);
    X509Svid svid =
        X509Svid.parse(
            issued.chainPem().getBytes(StandardCharsets.US_ASCII),
            Pem.privateKey(taskKey.getPrivate()).getBytes(StandardCharsets.US_ASCII));
    X509SvidValidator.verifyChain(svid.getChain(), TestCa.x509Bundle(ca.bundle().bundleJson()));
  }

  /** Writes the SoftHSM2 config surefire points SOFTHSM2_CONF at, and initialises a fresh token; returns its slot. */
  private long initToken() throws Exception {
    boolean required = "1".equals(System.getenv("TASKBOUND_REQUIRE_SOFTHSM"));
    String conf = System.getenv("SOFTHSM2_CONF");
    boolean present = Files.isRegularFile(LIBRARY) && conf != null && onPath("softhsm2-util");
    if (required) {
      assertThat(present).as("SoftHSM2 (libsofthsm2.so, softhsm2-util, SOFTHSM2_CONF) is required").isTrue();
    }
    Assumptions.assumeTrue(present, "SoftHSM2 not installed (or SOFTHSM2_CONF unset): PKCS#11 test skipped");

    Path confFile = Path.of(conf);
    Path tokens = confFile.getParent().resolve("tokens");
    Files.createDirectories(tokens);
    Files.writeString(
        confFile, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
    String label = "taskbound-" + Long.toHexString(System.nanoTime());
    ProcessBuilder init =
        new ProcessBuilder(
                "softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "so-" + PIN)
            .redirectErrorStream(true);
    init.environment().put("SOFTHSM2_CONF", conf);
    Process process = init.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    Matcher slot = Pattern.compile("reassigned to slot (\\d+)").matcher(output);
    assertThat(slot.find()).as(output).isTrue();
    return Long.parseLong(slot.group(1));
  }

  /** Generates the CA key inside the token and stores it with a self-signed root signed by that key. */
  private static X509Certificate createCaKeyInToken(IssuerConfig.Pkcs11 p11) throws Exception {
    Provider provider = Pkcs11CaSource.provider(p11);
    KeyStore keyStore = KeyStore.getInstance("PKCS11", provider);
    keyStore.load(null, PIN.toCharArray());
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", provider);
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    Instant now = Instant.now();
    X509Certificate root =
        RootCertificates.selfSigned(
            TestCa.TRUST_DOMAIN, pair.getPublic(), pair.getPrivate(), now.minusSeconds(60),
            now.plus(Duration.ofDays(30)));
    keyStore.setKeyEntry(KEY_ALIAS, pair.getPrivate(), null, new Certificate[] {root});
    return root;
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

}
