package dev.taskbound.cli;

import dev.taskbound.api.Attestation;
import dev.taskbound.client.Attestations;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.TaskRecord;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real dev-mode issuer on loopback whose SVIDs live {@code svidTtl}, so renewals happen within a test. */
public final class LoopbackIssuer implements AutoCloseable {
  private final Issuer issuer;

  private LoopbackIssuer(Issuer issuer) {
    this.issuer = issuer;
  }

  public static LoopbackIssuer start(Path dataDir, Duration svidTtl) throws Exception {
    IssuerConfig dev = ConfigLoader.override(ConfigLoader.dev(dataDir), true, "127.0.0.1:0", null);
    IssuerConfig.Ttl t = dev.ttl();
    IssuerConfig cfg = new IssuerConfig(
        dev.trustDomain(), dev.issuerUrl(), dev.listenHost(), dev.listenPort(), dev.dataDir(), dev.tls(), dev.ca(), dev.jwt(),
        dev.store(), new IssuerConfig.Ttl(t.taskDefault(), t.taskMax(), svidTtl, svidTtl, t.heartbeat()), true);
    return new LoopbackIssuer(Issuer.start(cfg, Clock.systemUTC()));
  }

  /**
   * A dev-mode issuer (dev attestation) governed by a policy file instead of the built-in dev rule, with
   * {@code extraConfig} lines added to its YAML (short TTLs, introspection clients …). {@code policy} and
   * {@code extraConfig} may name the issuer's URL as {@code {url}}; {@code env} answers {@code secret_env} lookups.
   */
  public static LoopbackIssuer withPolicy(Path dir, String policy, Map<String, String> env, String... extraConfig) throws Exception {
    List<String> lines = new ArrayList<>(List.of("dev: true"));
    lines.addAll(List.of(extraConfig));
    return fromConfig(dir, "http", policy, env, lines);
  }

  /**
   * A production-mode issuer over HTTPS with the TLS certificate and key in {@code certFile}/{@code keyFile} (PEM),
   * governed by {@code policy}, with {@code extraConfig} (attestors …) as in {@link #withPolicy}.
   */
  public static LoopbackIssuer overTls(Path dir, Path certFile, Path keyFile, String policy, String... extraConfig) throws Exception {
    List<String> lines = new ArrayList<>(List.of(
        "trust_domain: taskbound.test", "issuer_url: {url}", "tls: {cert_file: " + certFile + ", key_file: " + keyFile + "}"));
    lines.addAll(List.of(extraConfig));
    return fromConfig(dir, "https", policy, Map.of(), lines);
  }

  private static LoopbackIssuer fromConfig(Path dir, String scheme, String policy, Map<String, String> env, List<String> config)
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String url = scheme + "://127.0.0.1:" + port;
    Path policyFile = dir.resolve("policy.yaml");
    Files.writeString(policyFile, policy.replace("{url}", url));
    List<String> lines = new ArrayList<>(List.of(
        "listen: 127.0.0.1:" + port, "data_dir: " + dir.resolve("data"), "policy: {file: " + policyFile + "}"));
    for (String line : config) {
      lines.add(line.replace("{url}", url));
    }
    Path file = dir.resolve("issuer.yaml");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return new LoopbackIssuer(Issuer.start(ConfigLoader.load(file), Clock.systemUTC(), env::get));
  }

  public String url() {
    return issuer.url();
  }

  public Attestation devAttestation() {
    return Attestations.dev(devToken());
  }

  public String devToken() {
    return issuer.mintDevToken(Duration.ofMinutes(5));
  }

  public TaskRecord task(String taskId) {
    return issuer.store().findTask(taskId).orElseThrow();
  }

  public Issuer issuer() {
    return issuer;
  }

  @Override
  public void close() {
    issuer.close();
  }
}
