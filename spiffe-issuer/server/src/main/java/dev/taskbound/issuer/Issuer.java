package dev.taskbound.issuer;

import dev.taskbound.issuer.attest.Attestor;
import dev.taskbound.issuer.attest.Attestors;
import dev.taskbound.issuer.attest.DevAttestor;
import dev.taskbound.issuer.attest.JwksFetcher;
import dev.taskbound.issuer.ca.CertificateAuthority;
import dev.taskbound.issuer.ca.CryptoProviders;
import dev.taskbound.issuer.ca.DownstreamSigningKeys;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.exchange.RelyingParties;
import dev.taskbound.issuer.exchange.TokenService;
import dev.taskbound.issuer.http.ApiHandler;
import dev.taskbound.issuer.http.HttpEndpoint;
import dev.taskbound.issuer.http.IntrospectionEndpoint;
import dev.taskbound.issuer.http.OidcEndpoints;
import dev.taskbound.issuer.http.RevocationEndpoint;
import dev.taskbound.issuer.http.TokenEndpoint;
import dev.taskbound.issuer.http.HttpServer;
import dev.taskbound.issuer.policy.CelPolicyEngine;
import dev.taskbound.issuer.policy.DevPolicy;
import dev.taskbound.issuer.policy.PolicyEngine;
import dev.taskbound.issuer.policy.PolicyWatcher;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.Stores;
import dev.taskbound.issuer.task.TaskLifecycle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: opens the store, builds the CA, attestors, policy and task lifecycle, and serves them
 * over HTTP. The only class that knows every package.
 */
public final class Issuer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Issuer.class);
  private static final Duration ROTATION_TICK = Duration.ofSeconds(30);
  private static final Duration POLICY_POLL = Duration.ofSeconds(5);
  /** How soon revocations made on another replica reach this one's in-memory state. */
  private static final Duration REVOCATION_REFRESH = Duration.ofSeconds(5);

  private final IssuerConfig config;
  private final Offline core;
  private final HttpServer http;
  private final DevAttestor devAttestor;
  private final ScheduledExecutorService scheduler;
  private final PolicyWatcher policyWatcher;

  private Issuer(
      IssuerConfig config,
      Offline core,
      HttpServer http,
      DevAttestor devAttestor,
      ScheduledExecutorService scheduler,
      PolicyWatcher policyWatcher) {
    this.policyWatcher = policyWatcher;
    this.config = config;
    this.core = core;
    this.http = http;
    this.devAttestor = devAttestor;
    this.scheduler = scheduler;
  }

  /** Starts the issuer: binds, wires, serves. The issuer URL defaults to the bound address (dev mode). */
  public static Issuer start(IssuerConfig config, Clock clock) throws Exception {
    return start(config, clock, System::getenv);
  }

  /** As {@link #start(IssuerConfig, Clock)}, reading secrets named by the configuration through {@code env}. */
  public static Issuer start(IssuerConfig config, Clock clock, Function<String, String> env) throws Exception {
    String provider = CryptoProviders.install();
    LOG.info("crypto provider: {}", provider);
    HttpServer http = HttpServer.bind(config);
    try {
      IssuerConfig cfg = config.issuerUrl() != null ? config : config.withIssuerUrl(http.localUrl());
      Offline core = Offline.open(cfg, clock);
      DevAttestor dev = cfg.dev() ? new DevAttestor(core.store(), clock) : null;
      Attestors attestors =
          Attestors.fromConfig(
              cfg.attestors(), cfg.issuerUrl(), core.store(), clock, JwksFetcher.withDefaults(),
              dev == null ? new Attestor[0] : new Attestor[] {dev});
      LOG.info("attestors enabled: {}", attestors.types());
      PolicyWatcher watcher = cfg.policyFile() == null ? null : PolicyWatcher.open(cfg.policyFile(), version -> LOG.info("policy {} in force", version));
      PolicyEngine policy;
      if (watcher != null) {
        watcher.start(POLICY_POLL);
        policy = new CelPolicyEngine(cfg.trustDomain(), watcher);
      } else {
        policy = defaultPolicy(cfg);
      }
      TaskLifecycle tasks =
          new TaskLifecycle(cfg, core.store(), attestors.list(), policy, core.ca().x509Minter(), core.ca().jwtMinter(), () -> core.ca().bundle().current(), clock);
      // Token exchange, introspection, revocation, OIDC discovery ([3/7]).
      DownstreamSigningKeys downstreamKeys = DownstreamSigningKeys.create(cfg, core.store(), clock.instant());
      TokenService tokenService =
          TokenService.create(
              cfg, core.store(), core.ca().bundle(), downstreamKeys,
              RelyingParties.fromConfig(cfg.introspection(), env), clock);
      tasks.addEndListener(tokenService.revocations());
      http.trustClientCertificatesFrom(() -> core.ca().bundle().current().x509Authorities(), clock);
      List<HttpEndpoint> endpoints = new ArrayList<>(OidcEndpoints.of(tokenService.discovery()));
      endpoints.add(new TokenEndpoint(tokenService));
      endpoints.add(new IntrospectionEndpoint(tokenService));
      endpoints.add(new RevocationEndpoint(tokenService));
      http.start(new ApiHandler(tasks, () -> core.ca().bundle().bundleJson(), endpoints));
      ScheduledExecutorService scheduler =
          Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "taskbound-rotation");
            t.setDaemon(true);
            return t;
          });
      scheduler.scheduleWithFixedDelay(
          () -> {
            try {
              core.ca().rotate(clock.instant());
              downstreamKeys.rotate(clock.instant());
            } catch (RuntimeException e) {
              LOG.error("key rotation failed; will retry", e);
            }
          },
          ROTATION_TICK.toSeconds(),
          ROTATION_TICK.toSeconds(),
          TimeUnit.SECONDS);
      scheduler.scheduleWithFixedDelay(
          () -> {
            try {
              tokenService.revocations().refresh();
            } catch (RuntimeException e) {
              LOG.error("revocation refresh failed; will retry", e);
            }
          },
          REVOCATION_REFRESH.toSeconds(),
          REVOCATION_REFRESH.toSeconds(),
          TimeUnit.SECONDS);
      LOG.info("issuer {} serving trust domain {} (dev={})", cfg.issuerUrl(), cfg.trustDomain(), cfg.dev());
      return new Issuer(cfg, new Offline(cfg, core.store(), core.ca(), tasks), http, dev, scheduler, watcher);
    } catch (Exception | Error e) {
      http.close();
      throw e;
    }
  }

  /** Without a policy file: dev mode's built-in policy, otherwise nothing is allowed (default deny). */
  private static PolicyEngine defaultPolicy(IssuerConfig cfg) {
    return cfg.dev() ? new DevPolicy(cfg.trustDomain(), cfg.ttl().taskMax()) : CelPolicyEngine.denyAll(cfg.trustDomain());
  }

  public String url() {
    return config.issuerUrl();
  }

  public IssuerConfig config() {
    return config;
  }

  public Store store() {
    return core.store();
  }

  public TaskLifecycle tasks() {
    return core.tasks();
  }

  /** Mints a single-use dev attestation token; dev mode only. */
  public String mintDevToken(Duration lifetime) {
    if (devAttestor == null) {
      throw new IllegalStateException("dev attestation tokens exist in dev mode only");
    }
    return devAttestor.mintToken(lifetime);
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    if (policyWatcher != null) {
      policyWatcher.close();
    }
    try {
      http.close();
    } finally {
      core.close();
    }
  }

  /**
   * The issuer without its HTTP listener: store, CA and task lifecycle, for operator commands that work on the
   * same data directory or database.
   */
  public record Offline(IssuerConfig config, Store store, CertificateAuthority ca, TaskLifecycle tasks) implements AutoCloseable {
    static Offline open(IssuerConfig cfg, Clock clock) throws IOException {
      createPrivateDir(cfg.dataDir());
      Store store = Stores.open(cfg.store(), cfg.dataDir());
      try {
        CertificateAuthority ca = CertificateAuthority.create(cfg, store, clock);
        TaskLifecycle tasks = new TaskLifecycle(cfg, store, List.of(), CelPolicyEngine.denyAll(cfg.trustDomain()), ca.x509Minter(), ca.jwtMinter(), () -> ca.bundle().current(), clock);
        return new Offline(cfg, store, ca, tasks);
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
    }

    public String bundleJson() {
      return ca.bundle().bundleJson();
    }

    public String bundlePem() {
      return ca.bundle().current().x509Pem();
    }

    @Override
    public void close() {
      store.close();
    }
  }

  /** Opens the issuer's state for an operator command (no listener, no attestors). */
  public static Offline offline(IssuerConfig config, Clock clock) {
    CryptoProviders.install();
    IssuerConfig cfg = config.issuerUrl() != null ? config : config.withIssuerUrl("http://" + config.listenHost() + ":" + config.listenPort());
    try {
      return Offline.open(cfg, clock);
    } catch (IOException e) {
      throw new IllegalStateException("cannot open data directory " + cfg.dataDir() + ": " + e.getMessage(), e);
    }
  }

  private static void createPrivateDir(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      Files.createDirectories(dir);
      try {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException e) {
        LOG.warn("cannot restrict permissions of {} on this file system", dir);
      }
    }
  }
}
