package dev.taskbound.cli;

import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import picocli.CommandLine.Option;

/**
 * The CA certificates to trust for the issuer's HTTPS: {@code --issuer-ca FILE} or {@code $TASKBOUND_ISSUER_CA}.
 * When given, they replace the JVM's trust store for the issuer connection (as the Jenkins plugin's trusted
 * certificates do), so a self-hosted issuer behind an internal CA needs no {@code -Djavax.net.ssl.trustStore}, and a
 * public CA cannot vouch for a look-alike. Shared by every command that talks to the issuer.
 */
final class IssuerCaOption implements TaskboundCli.NeedsEnv {
  static final String ENV = "TASKBOUND_ISSUER_CA";

  @Option(names = "--issuer-ca", paramLabel = "FILE",
      description = "PEM CA certificate(s) to trust for the issuer's HTTPS instead of the JVM's trust store (default: $TASKBOUND_ISSUER_CA).")
  Path file;

  private Map<String, String> env = Map.of();

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  /** The PEM named by the option or the variable, checked to hold certificates; null for the JVM's trust store. */
  String pem() {
    Path from = file;
    if (from == null) {
      String named = env.get(ENV);
      if (named == null || named.isBlank()) {
        return null;
      }
      from = Path.of(named);
    }
    String pem;
    try {
      pem = Files.readString(from, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the issuer CA file " + from + ": " + e.getMessage(), e);
    }
    int certificates;
    try {
      certificates = IssuerTls.countCertificates(pem);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the issuer CA file " + from + ": " + e.getMessage(), e);
    }
    if (certificates == 0) {
      throw new IllegalArgumentException("the issuer CA file " + from + " holds no PEM certificate");
    }
    return pem;
  }

  /** A client for {@code issuerUrl} trusting {@link #pem()}, else {@code fallbackPem} (what {@code begin} stored), else the JVM. */
  IssuerClient client(String issuerUrl, String fallbackPem) {
    String pem = pem();
    return new IssuerClient(issuerUrl, IssuerTls.httpClient(pem != null ? pem : fallbackPem), Clock.systemUTC(), Duration.ofSeconds(30));
  }

  IssuerClient client(String issuerUrl) {
    return client(issuerUrl, null);
  }

  /** What to add to an error whose cause is an untrusted issuer certificate (the JDK's words do not say what to do). */
  static String hint(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SSLHandshakeException) {
        return " (is the issuer's certificate from a private CA? pass --issuer-ca FILE or set " + ENV + ")";
      }
    }
    return "";
  }
}
