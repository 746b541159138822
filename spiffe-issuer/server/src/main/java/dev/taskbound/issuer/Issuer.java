package dev.taskbound.issuer;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.admin.AdminApi;
import dev.taskbound.issuer.admin.AdminAuthenticator;
import dev.taskbound.issuer.admin.AdminCertificates;
import dev.taskbound.issuer.admin.AdminSessions;
import dev.taskbound.issuer.admin.OidcLogin;
import dev.taskbound.issuer.admin.DevLogin;
import dev.taskbound.issuer.admin.ExceptionsApi;
import dev.taskbound.issuer.admin.PolicyInForce;
import dev.taskbound.issuer.attest.Attestor;
import dev.taskbound.issuer.attest.Attestors;
import dev.taskbound.issuer.attest.DevAttestor;
import dev.taskbound.issuer.attest.JwksFetcher;
import dev.taskbound.issuer.ca.CertificateAuthority;
import dev.taskbound.issuer.ca.CrlPublisher;
import dev.taskbound.issuer.ca.CryptoProviders;
import dev.taskbound.issuer.ca.DownstreamSigningKeys;
import dev.taskbound.issuer.ca.KeyManagers;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.config.OperationsConfig;
import dev.taskbound.issuer.evidence.Ed25519LogSigner;
import dev.taskbound.issuer.evidence.Event;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.evidence.LogSigner;
import dev.taskbound.issuer.evidence.RegistryEvents;
import dev.taskbound.issuer.exceptions.StandingExceptions;
import dev.taskbound.issuer.exchange.DownstreamToken;
import dev.taskbound.issuer.exchange.ExchangeEvidence;
import dev.taskbound.issuer.exchange.RelyingParties;
import dev.taskbound.issuer.exchange.RevocationState;
import dev.taskbound.issuer.exchange.TokenService;
import dev.taskbound.issuer.http.ApiHandler;
import dev.taskbound.issuer.http.CrlEndpoint;
import dev.taskbound.issuer.http.EvidenceEndpoints;
import dev.taskbound.issuer.http.HttpEndpoint;
import dev.taskbound.issuer.http.HttpServer;
import dev.taskbound.issuer.http.IntrospectionEndpoint;
import dev.taskbound.issuer.http.OidcEndpoints;
import dev.taskbound.issuer.http.ReadinessEndpoint;
import dev.taskbound.issuer.http.RevocationEndpoint;
import dev.taskbound.issuer.http.TokenEndpoint;
import dev.taskbound.issuer.http.HttpReply;
import dev.taskbound.issuer.http.DashboardEndpoint;
import dev.taskbound.issuer.http.MetricsEndpoint;
import dev.taskbound.issuer.http.OpenApiDocument;
import dev.taskbound.issuer.http.RequestMetrics;
import dev.taskbound.issuer.metrics.IssuerMetrics;
import dev.taskbound.issuer.policy.CelPolicyEngine;
import dev.taskbound.issuer.policy.DevPolicy;
import dev.taskbound.issuer.policy.PolicyEngine;
import dev.taskbound.issuer.policy.PolicyWatcher;
import dev.taskbound.issuer.signals.ApprovalWebhook;
import dev.taskbound.issuer.signals.ExceptionSignals;
import dev.taskbound.issuer.signals.PushDelivery;
import dev.taskbound.issuer.signals.SetSigner;
import dev.taskbound.issuer.signals.SetTransmitter;
import dev.taskbound.issuer.signals.SsfConfiguration;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.RevocationFeed;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.Stores;
import dev.taskbound.issuer.task.TaskLifecycle;
import dev.taskbound.issuer.task.TaskReaper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: opens the store and the evidence log, builds the CA, attestors, policy and task
 * lifecycle, and serves them over HTTP. The only class that knows every package.
 */
public final class Issuer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Issuer.class);
  private static final Duration ROTATION_TICK = Duration.ofSeconds(30);
  private static final Duration POLICY_POLL = Duration.ofSeconds(5);
  private static final Duration PENDING_EVIDENCE_TICK = Duration.ofSeconds(5);
  private static final Duration MAX_REAP_TICK = Duration.ofSeconds(15);
  private static final Duration APPROVAL_WATCH_POLL = Duration.ofSeconds(1);
  private static final int REAP_BATCH = 100;
  /** How soon revocations made on another replica reach this one's in-memory state. */
  private static final Duration REVOCATION_REFRESH = Duration.ofSeconds(5);

  private final IssuerConfig config;
  private final Offline core;
  private final DevAttestor devAttestor;
  private final DevLogin devLogin;
  private final EvidenceLog evidence;
  private final Revocation revocation;
  /** One key rotation pass (CA, JWT-SVID and downstream keys), as the scheduler runs it. */
  private Runnable keyRotation = () -> {};
  /** The standing-exception register, with the evidence log. */
  private StandingExceptions exceptions;
  /** One pass of the register's sweep: operator commands' evidence, then expired / unreviewed signals. */
  private Runnable exceptionSweep = () -> {};
  private final HttpServer http;
  /** Closed in reverse order of opening. */
  private final Deque<AutoCloseable> resources;

  /** What publishes and enforces revocation beyond the store: CRL, reaper, Shared Signals. */
  private record Revocation(CrlPublisher crl, TaskReaper reaper, SetTransmitter signals, SetSigner setSigner) {}

  /** Exchanges and relying parties' revocations, each one entry in the evidence log, durable before we answer. */
  private record LoggedExchanges(EvidenceLog log, IssuerMetrics metrics) implements ExchangeEvidence {
    @Override
    public void tokenExchanged(
        String taskId, Instant at, String subject, DownstreamToken token, String audience, String rule) {
      log.append(
          List.of(Event.tokenExchanged(taskId, at, subject, token.jti(), audience, token.issuedAt(), token.expiresAt(), rule)));
      metrics.exchanged();
    }

    @Override
    public void credentialRevoked(String taskId, Instant at, CredentialKind kind, String credentialId, Instant expiresAt) {
      log.append(List.of(Event.credentialRevoked(taskId, at, kind.wire(), credentialId, expiresAt)));
      metrics.revokedByRelyingParty(kind);
    }
  }

  private Issuer(
      IssuerConfig config,
      Offline core,
      DevAttestor devAttestor,
      DevLogin devLogin,
      EvidenceLog evidence,
      Revocation revocation,
      HttpServer http,
      Deque<AutoCloseable> resources) {
    this.config = config;
    this.core = core;
    this.devAttestor = devAttestor;
    this.devLogin = devLogin;
    this.evidence = evidence;
    this.revocation = revocation;
    this.http = http;
    this.resources = resources;
  }

  /** Starts the issuer: binds, wires, serves. The issuer URL defaults to the bound address (dev mode). */
  public static Issuer start(IssuerConfig config, Clock clock) throws Exception {
    return start(config, clock, System::getenv);
  }

  /** As {@link #start(IssuerConfig, Clock)}, reading secrets named by the configuration through {@code env}. */
  public static Issuer start(IssuerConfig config, Clock clock, Function<String, String> env) throws Exception {
    Deque<AutoCloseable> resources = new ArrayDeque<>();
    // Opening the store (migrations included) is a third of start-up, and nothing before the CA needs it. Pushed
    // first, so closed last, also when start-up fails before the store is used.
    BackgroundStep<JdbcStore> opening = BackgroundStep.start("taskbound-store-open", () -> Offline.openStore(config));
    resources.push(() -> {
      JdbcStore opened = opening.awaitQuietly();
      if (opened != null) {
        opened.close();
      }
    });
    // Loading the fastest JCA provider (its native library and self-tests: a sixth of start-up) overlaps binding the
    // port and building the metrics, which neither make keys nor sign.
    BackgroundStep<String> crypto = BackgroundStep.start("taskbound-crypto", CryptoProviders::install);
    resources.push(crypto::awaitQuietly);
    try {
      if (config.tls() != null) {
        crypto.await(); // the TLS key and certificate are read through the providers
      }
      HttpServer http = HttpServer.bind(config);
      resources.push(http);
      IssuerConfig cfg = config.issuerUrl() != null ? config : config.withIssuerUrl(http.localUrl());
      IssuerMetrics metrics = new IssuerMetrics();
      resources.push(metrics);
      String ssfConfiguration = json(SsfConfiguration.of(cfg.issuerUrl()));
      LOG.info("crypto provider: {}", crypto.await());
      JdbcStore opened = opening.await();
      // Everything serving requests goes through the metered store; the CA keeps the plain one.
      Store store = metrics.meter(opened);
      // The downstream token keys (on a first start an RSA key, 50-250 ms) are made while the CA and the rest are
      // built. A failed start lets them finish before it closes the store.
      BackgroundStep<DownstreamSigningKeys> downstreamKeying =
          BackgroundStep.start("taskbound-downstream-keys", () -> DownstreamSigningKeys.create(cfg, store, clock.instant(), env));
      resources.push(downstreamKeying::awaitQuietly);
      Offline core = Offline.over(opened, cfg, clock, env);

      // The evidence log appends through the store's one writer: operator commands never open it (see TaskLifecycle#logPendingEnds).
      EvidenceLog evidence =
          EvidenceLog.open(
              core.store().writer(),
              core.store().dataSource(),
              evidenceKey(cfg, core.store(), clock, env),
              clock);
      resources.push(evidence);
      metrics.watch(evidence);

      DevAttestor dev = cfg.dev() ? new DevAttestor(store, clock) : null;
      Attestors attestors =
          Attestors.fromConfig(
              cfg.attestors(), cfg.issuerUrl(), store, clock, JwksFetcher.withDefaults(),
              dev == null ? new Attestor[0] : new Attestor[] {dev});
      LOG.info("attestors enabled: {}", attestors.types());
      metrics.attestors(attestors.types());

      PolicyEngine policy;
      Supplier<PolicyInForce> policyInForce;
      if (cfg.policyFile() != null) {
        PolicyWatcher watcher =
            PolicyWatcher.open(
                cfg.policyFile(),
                loaded ->
                    evidence.append(
                        List.of(Event.policyLoaded(clock.instant(), loaded.version(), loaded.version(), loaded.rules().size()))));
        resources.push(watcher);
        watcher.start(POLICY_POLL);
        policy = new CelPolicyEngine(cfg.trustDomain(), watcher);
        policyInForce =
            () -> new PolicyInForce("file", watcher.current().version(), watcher.current().rules().stream().map(r -> r.name()).toList());
      } else {
        policy = defaultPolicy(cfg);
        PolicyInForce builtin =
            cfg.dev() ? new PolicyInForce("dev", DevPolicy.VERSION, List.of(DevPolicy.RULE)) : new PolicyInForce("deny-all", "none", List.of());
        policyInForce = () -> builtin;
      }

      TaskLifecycle tasks =
          new TaskLifecycle(
              cfg, store, attestors.list(), policy, core.ca().x509Minter(), core.ca().jwtMinter(),
              core.ca().bundle()::x509Pem, evidence, clock);
      tasks.observe(metrics);
      tasks.addEndListener(metrics);
      metrics.readGaugesFrom(store, clock);
      Revocation revocation = revocation(cfg, core, store, tasks, clock, env);
      resources.push(revocation.signals());
      // Token exchange, introspection, revocation, OIDC discovery ([3/7]).
      DownstreamSigningKeys downstreamKeys = downstreamKeying.await();
      TokenService tokenService =
          TokenService.create(
              cfg, store, core.ca().bundle(), downstreamKeys, RelyingParties.fromConfig(cfg.introspection(), env),
              new LoggedExchanges(evidence, metrics), clock);
      tasks.addEndListener(tokenService.revocations());
      resources.push(listenForRevocations(core.store(), tokenService.revocations(), revocation.crl()));
      http.trustClientCertificatesFrom(() -> core.ca().bundle().current().x509Authorities(), clock);

      List<HttpEndpoint> endpoints = new ArrayList<>(EvidenceEndpoints.of(evidence));
      endpoints.addAll(OidcEndpoints.of(tokenService.discovery()));
      endpoints.add(new TokenEndpoint(tokenService));
      endpoints.add(new IntrospectionEndpoint(tokenService));
      endpoints.add(new RevocationEndpoint(tokenService));
      endpoints.add(new CrlEndpoint(revocation.crl(), clock::instant));
      endpoints.add(new ReadinessEndpoint(core.store()::reachable));
      endpoints.add(HttpEndpoint.get(SsfConfiguration.WELL_KNOWN_PATH, r -> HttpReply.json(200, ssfConfiguration)));
      String ssfJwks = revocation.setSigner().jwksJson();
      endpoints.add(HttpEndpoint.get(SsfConfiguration.JWKS_PATH, r -> HttpReply.json(200, ssfJwks)));

      // Two threads: a slow reaper pass (many ends) never delays key rotation, and the other way round.
      ScheduledExecutorService scheduler =
          Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "taskbound-scheduler");
            t.setDaemon(true);
            return t;
          });
      resources.push(scheduler::shutdownNow);
      Runnable keyRotation = () -> {
        core.ca().rotate(clock.instant());
        downstreamKeys.rotate(clock.instant());
        // Takes up at once what another replica's pass published (begins read a sequence up to 250 ms old).
        store.freshBundleSequence();
      };
      every(scheduler, ROTATION_TICK, "key rotation", keyRotation);
      every(scheduler, REVOCATION_REFRESH, "revocation refresh", () -> tokenService.revocations().refresh());
      every(scheduler, PENDING_EVIDENCE_TICK, "pending end evidence", () -> tasks.logPendingEnds(100));
      // Long-polling callers hear of changes other replicas and operator commands make within a second.
      every(scheduler, APPROVAL_WATCH_POLL, "approval watch", tasks.approvals().watch()::pollStore);
      if (cfg.operations().approvalWebhook() != null) {
        ApprovalWebhook webhook =
            new ApprovalWebhook(cfg.operations().approvalWebhook(), env.apply(cfg.operations().approvalWebhook().secretEnv()), clock);
        resources.push(webhook);
        tasks.approvals().addListener(webhook);
      }
      every(scheduler, PENDING_EVIDENCE_TICK, "approval expiry and pending approval evidence", () -> {
        tasks.approvals().expireOverdue(100);
        tasks.approvals().logPendingEvidence(100);
      });
      StandingExceptions exceptions = new StandingExceptions(store, evidence, cfg.exceptions(), clock);
      metrics.readStandingExceptionsFrom(exceptions::counts);
      ExceptionSignals exceptionSignals = new ExceptionSignals(cfg.signals(), cfg.issuerUrl(), revocation.setSigner());
      Runnable exceptionSweep = () -> {
        exceptions.logPendingEvidence(100);
        exceptions.signalOverdue(exceptionSignals::deliveries);
      };
      every(scheduler, PENDING_EVIDENCE_TICK, "standing exception evidence and signals", exceptionSweep);
      RegistryEvents registryEvents = new RegistryEvents(store, evidence, clock);
      registryEvents.record();
      every(scheduler, PENDING_EVIDENCE_TICK, "key and controller evidence", registryEvents::record);
      every(scheduler, min(MAX_REAP_TICK, cfg.ttl().heartbeat().dividedBy(4)), "reaper", revocation.reaper()::reapQuietly);

      OperationsConfig.AdminOidc adminOidc = cfg.operations().adminOidc();
      boolean idpLogin = adminOidc != null && adminOidc.login() != null;
      AdminSessions adminSessions = cfg.dev() || idpLogin ? new AdminSessions(clock) : null;
      DevLogin devLogin = cfg.dev() ? new DevLogin(clock, adminSessions) : null;
      AdminCertificates adminCertificates = null;
      if (cfg.operations().adminMtls() != null) {
        adminCertificates = AdminCertificates.load(cfg.operations().adminMtls(), clock);
        http.trustAdminClientCertificatesFrom(adminCertificates.authorities());
      }
      JwksFetcher idpFetcher = JwksFetcher.withDefaults();
      AdminAuthenticator adminAuth = new AdminAuthenticator(adminOidc, adminSessions, adminCertificates, idpFetcher, clock);
      OidcLogin oidcLogin = idpLogin ? new OidcLogin(adminOidc, cfg.issuerUrl(), adminAuth, adminSessions, idpFetcher, env, clock) : null;
      endpoints.addAll(
          new AdminApi(adminAuth, devLogin, oidcLogin, store, tasks, evidence, policyInForce, cfg.issuerUrl(), clock).endpoints());
      endpoints.addAll(new ExceptionsApi(adminAuth, exceptions).endpoints());
      endpoints.add(OpenApiDocument.endpoint());
      endpoints.add(DashboardEndpoint.endpoint());
      endpoints.add(new MetricsEndpoint(metrics::scrape, secret(env, cfg.operations().metricsTokenEnv(), "metrics.bearer_token_env")));
      http.start(new RequestMetrics(new ApiHandler(tasks, () -> core.ca().bundle().bundleJson(), endpoints), metrics.registry()));
      LOG.info("issuer {} serving trust domain {} (dev={})", cfg.issuerUrl(), cfg.trustDomain(), cfg.dev());
      Issuer issuer = new Issuer(cfg, new Offline(cfg, core.store(), core.ca(), tasks), dev, devLogin, evidence, revocation, http, resources);
      issuer.keyRotation = keyRotation;
      issuer.exceptions = exceptions;
      issuer.exceptionSweep = exceptionSweep;
      return issuer;
    } catch (Exception | Error e) {
      closeAll(resources);
      throw e;
    }
  }

  /**
   * Revocations other replicas (and operator commands) commit reach this one as they commit (PostgreSQL
   * LISTEN/NOTIFY), not only on the next {@link #REVOCATION_REFRESH}: exchange and introspection refuse them, and
   * the CRL is rebuilt on its next request. Returns once the feed listens, or after the store's connection timeout.
   */
  private static RevocationFeed listenForRevocations(JdbcStore store, RevocationState revocations, CrlPublisher crl)
      throws InterruptedException {
    RevocationFeed feed =
        store.listenForRevocations(
            new RevocationFeed.Listener() {
              @Override
              public void taskEnded(String taskId, Instant expiresAt) {
                revocations.endedElsewhere(taskId, expiresAt);
                crl.markStale();
              }

              @Override
              public void credentialRevoked(CredentialKind kind, String credentialId, Instant expiresAt) {
                revocations.revokedElsewhere(kind, credentialId, expiresAt);
                crl.markStale();
              }

              @Override
              public void resync() {
                revocations.refresh();
                crl.markStale();
              }
            });
    if (!feed.awaitListening(store.connectionTimeout())) {
      LOG.warn("revocation feed not listening yet; revocations by other replicas arrive with the periodic refresh");
    }
    return feed;
  }

  /** CRL, reaper and Shared Signals; the CRL and the transmitter are told of every task end. */
  private static Revocation revocation(
      IssuerConfig cfg, Offline core, Store store, TaskLifecycle tasks, Clock clock, Function<String, String> env) {
    CrlPublisher crl = new CrlPublisher(core.ca()::x509Authority, store, clock, cfg.crl().nextUpdate());
    tasks.addEndListener((task, revoked) -> crl.markStale());
    TaskReaper reaper = new TaskReaper(tasks, store, cfg.ttl().heartbeat(), clock, REAP_BATCH);
    // Same key manager as the CA's keys (this replica's key directory, or the shared store); the SET key has its own
    // id there (see SetSigner).
    SetSigner setSigner = SetSigner.open(KeyManagers.forConfig(cfg, core.store(), env, clock));
    SetTransmitter signals =
        new SetTransmitter(cfg.signals(), cfg.issuerUrl(), setSigner, store, new PushDelivery(System::getenv), clock)
            .start();
    tasks.addEndListener(signals::taskEnded);
    return new Revocation(crl, reaper, signals, setSigner);
  }

  /** The value of the environment variable a configuration key names; null when the key is unset. */
  private static String secret(Function<String, String> env, String variable, String key) {
    if (variable == null) {
      return null;
    }
    String value = env.apply(variable);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(key + " names " + variable + ", which is not set");
    }
    return value;
  }

  private static String json(Object document) {
    try {
      return ApiJson.mapper().writeValueAsString(document);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * The evidence log's signing key: sealed in the store when keys are ({@code store.key_encryption_env}), so every
   * replica signs the one log with one key (an existing {@code data_dir/evidence-log-key.pem} that signed it moves
   * in); else that file, created on first start.
   */
  private static LogSigner evidenceKey(IssuerConfig cfg, JdbcStore store, Clock clock, Function<String, String> env) {
    Path file = cfg.dataDir().resolve("evidence-log-key.pem");
    return KeyManagers.shared(cfg, store, env, clock)
        .<LogSigner>map(keys -> Ed25519LogSigner.loadOrCreateShared(keys, store.dataSource(), file, evidenceOrigin(cfg)))
        .orElseGet(() -> Ed25519LogSigner.loadOrCreate(file, evidenceOrigin(cfg)));
  }

  /** The C2SP origin line of our checkpoints: stable across restarts and ports. */
  static String evidenceOrigin(IssuerConfig cfg) {
    return cfg.trustDomain() + "/taskbound/evidence";
  }

  private static void every(ScheduledExecutorService scheduler, Duration period, String what, Runnable job) {
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            job.run();
          } catch (RuntimeException e) {
            LOG.error("{} failed; will retry", what, e);
          }
        },
        period.toMillis(),
        period.toMillis(),
        TimeUnit.MILLISECONDS);
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

  public EvidenceLog evidence() {
    return evidence;
  }

  /**
   * Runs a key rotation pass now (the scheduler runs one every 30 s): under the store's rotation lock, so with
   * replicas on one database it also picks up a successor another replica activated.
   */
  public void rotateKeys() {
    keyRotation.run();
  }

  /** The standing-privilege exception register, writing to this issuer's evidence log. */
  public StandingExceptions exceptions() {
    return exceptions;
  }

  /**
   * Runs the register's sweep now (the scheduler runs one every 5 s): logs the changes operator commands made and
   * queues the Shared Signals events of exceptions that expired or went unreviewed.
   */
  public void sweepStandingExceptions() {
    exceptionSweep.run();
  }

  /** The reaper the scheduler runs; exposed so tests (and operators' tools) can run a pass now. */
  public TaskReaper reaper() {
    return revocation.reaper();
  }

  /** Mints a single-use dev attestation token; dev mode only. */
  public String mintDevToken(Duration lifetime) {
    if (devAttestor == null) {
      throw new IllegalStateException("dev attestation tokens exist in dev mode only");
    }
    return devAttestor.mintToken(lifetime);
  }

  /**
   * A single-use operator login link for the dashboard (dev mode only): the code rides in the URL fragment, so it
   * never reaches a server log; the page spends it for a session.
   */
  public String devLoginLink() {
    if (devLogin == null) {
      throw new IllegalStateException("the operator login link exists in dev mode only");
    }
    return config.issuerUrl() + "/ui/#login=" + devLogin.newCode();
  }

  /**
   * Drains HTTP first (requests in flight still need the store, the log and the CA), then closes the rest in reverse
   * order of opening. Idempotent.
   */
  @Override
  public synchronized void close() {
    try {
      http.close();
    } catch (RuntimeException e) {
      LOG.warn("error while draining HTTP requests", e);
    }
    closeAll(resources);
  }

  private static void closeAll(Deque<AutoCloseable> resources) {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        LOG.warn("error while shutting down", e);
      }
    }
  }

  /**
   * The issuer without its HTTP listener and evidence log: store, CA and task lifecycle, for operator commands that
   * work on the same data directory or database. Ends recorded here are logged by the running issuer.
   */
  public record Offline(IssuerConfig config, JdbcStore store, CertificateAuthority ca, TaskLifecycle tasks) implements AutoCloseable {
    static Offline open(IssuerConfig cfg, Clock clock, Function<String, String> env) throws IOException {
      JdbcStore store = openStore(cfg);
      try {
        return over(store, cfg, clock, env);
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
    }

    /** Creates the data directory (private) and opens the store, in it or where the configuration says. */
    static JdbcStore openStore(IssuerConfig cfg) throws IOException {
      createPrivateDir(cfg.dataDir());
      return Stores.open(cfg.store(), cfg.dataDir());
    }

    /** The CA and the task lifecycle over an open store. */
    static Offline over(JdbcStore store, IssuerConfig cfg, Clock clock, Function<String, String> env) {
      CertificateAuthority ca = CertificateAuthority.create(cfg, store, clock, env);
      TaskLifecycle tasks =
          new TaskLifecycle(
              cfg, store, List.of(), CelPolicyEngine.denyAll(cfg.trustDomain()), ca.x509Minter(), ca.jwtMinter(),
              ca.bundle()::x509Pem, null, clock);
      return new Offline(cfg, store, ca, tasks);
    }

    public String bundleJson() {
      return ca.bundle().bundleJson();
    }

    public String bundlePem() {
      return ca.bundle().x509Pem();
    }

    @Override
    public void close() {
      store.close();
    }
  }

  /** Opens the issuer's state for an operator command (no listener, no attestors, no evidence writer). */
  public static Offline offline(IssuerConfig config, Clock clock) {
    CryptoProviders.install();
    IssuerConfig cfg = config.issuerUrl() != null ? config : config.withIssuerUrl("http://" + config.listenHost() + ":" + config.listenPort());
    try {
      return Offline.open(cfg, clock, System::getenv);
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
