package dev.taskbound.cli;

import dev.taskbound.api.Attestation;
import dev.taskbound.client.Attestations;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.TaskRecord;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

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
