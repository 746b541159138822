package dev.taskbound.issuer.metrics;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.policy.Decision;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.ExceptionState;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import dev.taskbound.issuer.task.TaskEndListener;
import dev.taskbound.issuer.task.TaskObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer's meters, in one Prometheus registry: lifecycle counters (as the task lifecycle's observer and end
 * listener), evidence and store timings, and gauges read from the store when scraped. Every tag value passes
 * through a closed set here; the per-key cap ({@link MetricNames#MAX_TAG_VALUES}) is only a backstop.
 */
public final class IssuerMetrics implements TaskObserver, TaskEndListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IssuerMetrics.class);
  /** Enough for every alert; more than this many still-valid credentials of ended tasks is itself the news. */
  static final int VALID_AFTER_END_SCAN = 100_000;
  private static final Set<String> DENY_REASONS =
      Set.of(Decision.NO_RULE_MATCHED, Decision.CONDITION_FALSE, Decision.AUDIENCE_NOT_ALLOWED, Decision.EVALUATION_ERROR);

  private final PrometheusMeterRegistry registry;
  private volatile Set<String> attestors = Set.of();
  private final JvmGcMetrics gc;
  private final Map<CredentialKind, AtomicLong> validRevoked = new EnumMap<>(CredentialKind.class);
  private final Map<CredentialKind, AtomicLong> validUnrevoked = new EnumMap<>(CredentialKind.class);
  private final AtomicLong activeTasks = new AtomicLong();
  private final AtomicLong signalsBacklog = new AtomicLong();
  private volatile Store store;
  private volatile Clock clock;
  private final Map<ExceptionState, AtomicLong> standingExceptions = new EnumMap<>(ExceptionState.class);
  private volatile Supplier<Map<ExceptionState, Long>> exceptionCounts;

  public IssuerMetrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    for (String key : MetricNames.TAG_KEYS) {
      registry.config().meterFilter(MeterFilter.maximumAllowableTags(MetricNames.PREFIX, key, MetricNames.MAX_TAG_VALUES, MeterFilter.deny()));
    }
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    for (CredentialKind kind : CredentialKind.values()) {
      validRevoked.put(kind, gauge(MetricNames.CREDENTIALS_VALID_AFTER_TASK_END, kind, "true"));
      validUnrevoked.put(kind, gauge(MetricNames.CREDENTIALS_VALID_AFTER_TASK_END, kind, "false"));
      // Zero-valued series from the start, so a rate() or an absent() alert has something to look at.
      credentialsIssued(kind, 0);
      credentialsRevoked(kind, 0);
    }
    for (String reason : DENY_REASONS) {
      counter(MetricNames.POLICY_DENIES, "Begins denied by policy, by reason", MetricNames.REASON, reason);
    }
    for (TaskOutcome outcome : TaskOutcome.values()) {
      counter(MetricNames.TASKS_ENDED, "Tasks ended, by outcome", MetricNames.OUTCOME, outcome.wire());
    }
    Gauge.builder(MetricNames.TASKS_ACTIVE, activeTasks, AtomicLong::get).description("Tasks active now").register(registry);
    Gauge.builder(MetricNames.SIGNALS_BACKLOG, signalsBacklog, AtomicLong::get)
        .description("Shared Signals deliveries pending")
        .register(registry);
  }

  /** The attestor types enabled on this issuer: the closed set of {@code attestor} values (others count as other). */
  public void attestors(Set<String> types) {
    this.attestors = Set.copyOf(types);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Reads the store-backed gauges, then renders every meter in the Prometheus text format. */
  public String scrape() {
    refreshStoreGauges();
    refreshStandingExceptions();
    return registry.scrape();
  }

  /**
   * The standing-exception gauge, one series per state an unrevoked exception can be in, read from {@code counts}
   * when scraped.
   */
  public void readStandingExceptionsFrom(Supplier<Map<ExceptionState, Long>> counts) {
    for (ExceptionState state : List.of(ExceptionState.ACTIVE, ExceptionState.EXPIRING, ExceptionState.EXPIRED, ExceptionState.UNREVIEWED)) {
      AtomicLong value = standingExceptions.computeIfAbsent(state, s -> new AtomicLong());
      Gauge.builder(MetricNames.STANDING_EXCEPTIONS, value, AtomicLong::get)
          .description("Standing-privilege exceptions not revoked, by state")
          .tag(MetricNames.STATE, state.wire())
          .register(registry);
    }
    this.exceptionCounts = counts;
  }

  private void refreshStandingExceptions() {
    Supplier<Map<ExceptionState, Long>> counts = exceptionCounts;
    if (counts == null) {
      return;
    }
    try {
      Map<ExceptionState, Long> now = counts.get();
      standingExceptions.forEach((state, value) -> value.set(now.getOrDefault(state, 0L)));
    } catch (RuntimeException e) {
      LOG.warn("metrics: standing exceptions not refreshed: {}", e.getMessage());
    }
  }

  /** The gauges read from {@code store} when scraped: residual exposure, active tasks, signals backlog. */
  public void readGaugesFrom(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** The evidence log's append latency and queue depth. */
  public void watch(EvidenceLog log) {
    Timer ok = appendTimer(MetricNames.OK);
    Timer failed = appendTimer(MetricNames.ERROR);
    log.onAppend((nanos, committed) -> (committed ? ok : failed).record(nanos, TimeUnit.NANOSECONDS));
    Gauge.builder(MetricNames.EVIDENCE_QUEUE_DEPTH, log, EvidenceLog::queueDepth)
        .description("Evidence appends queued, not yet committed")
        .register(registry);
  }

  /** {@code store}, counted and timed per call. */
  public Store meter(Store store) {
    return MeteredStore.wrap(store, registry);
  }

  // ---- lifecycle --------------------------------------------------------------------------------------------

  @Override
  public void begun(TaskRecord task, List<CredentialRecord> issued) {
    counter(MetricNames.TASKS_BEGUN, "Tasks begun, by attestor", MetricNames.ATTESTOR, attestor(task.attestor())).increment();
    issued.forEach(c -> credentialsIssued(c.kind(), 1));
  }

  @Override
  public void renewed(String taskId, List<CredentialRecord> issued) {
    issued.forEach(c -> credentialsIssued(c.kind(), 1));
  }

  @Override
  public void denied(String attestor, String reason) {
    counter(MetricNames.POLICY_DENIES, "Begins denied by policy, by reason", MetricNames.REASON,
            DENY_REASONS.contains(reason) ? reason : MetricNames.OTHER)
        .increment();
  }

  @Override
  public void attestationFailed(String attestor, AttestationFailure failure) {
    Counter.builder(MetricNames.ATTESTATION_FAILURES)
        .description("Attestations refused, by attestor and failure")
        .tag(MetricNames.ATTESTOR, attestor(attestor))
        .tag(MetricNames.FAILURE, failure.name().toLowerCase(java.util.Locale.ROOT))
        .register(registry)
        .increment();
  }

  @Override
  public void taskEnded(TaskRecord task, List<CredentialRecord> revoked) {
    counter(MetricNames.TASKS_ENDED, "Tasks ended, by outcome", MetricNames.OUTCOME, task.outcome().wire()).increment();
    revoked.forEach(c -> credentialsRevoked(c.kind(), 1));
  }

  /** A downstream token issued by token exchange. */
  public void exchanged() {
    credentialsIssued(CredentialKind.DOWNSTREAM_TOKEN, 1);
  }

  /** A credential revoked by a relying party (RFC 7009) before its task ended. */
  public void revokedByRelyingParty(CredentialKind kind) {
    credentialsRevoked(kind, 1);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }

  // ---- internals --------------------------------------------------------------------------------------------

  private void refreshStoreGauges() {
    Store s = store;
    if (s == null) {
      return;
    }
    try {
      java.time.Instant now = clock.instant();
      Map<CredentialKind, long[]> counts = new EnumMap<>(CredentialKind.class);
      for (CredentialKind k : CredentialKind.values()) {
        counts.put(k, new long[2]);
      }
      for (CredentialRecord c : s.credentialsValidAfterTaskEnd(now, VALID_AFTER_END_SCAN)) {
        counts.get(c.kind())[c.revokedAt() != null ? 0 : 1]++;
      }
      counts.forEach((k, n) -> {
        validRevoked.get(k).set(n[0]);
        validUnrevoked.get(k).set(n[1]);
      });
      activeTasks.set(s.listTasks(TaskState.ACTIVE, VALID_AFTER_END_SCAN).size());
      // Every pending delivery, whenever due: the far future as the store can keep it (Instant.MAX has no epoch millis).
      signalsBacklog.set(s.dueSignalDeliveries(java.time.Instant.ofEpochMilli(Long.MAX_VALUE), VALID_AFTER_END_SCAN).size());
    } catch (RuntimeException e) {
      // A scrape must still answer (JVM metrics, counters) while the store is down; the gauges keep their last value.
      LOG.warn("metrics: store-backed gauges not refreshed: {}", e.getMessage());
    }
  }

  private AtomicLong gauge(String name, CredentialKind kind, String revoked) {
    AtomicLong value = new AtomicLong();
    Gauge.builder(name, value, AtomicLong::get)
        .description("Credentials of ended tasks not yet expired, by kind and whether revoked")
        .tag(MetricNames.KIND, kind.wire())
        .tag(MetricNames.REVOKED, revoked)
        .register(registry);
    return value;
  }

  private void credentialsIssued(CredentialKind kind, int n) {
    counter(MetricNames.CREDENTIALS_ISSUED, "Credentials issued, by kind", MetricNames.KIND, kind.wire()).increment(n);
  }

  private void credentialsRevoked(CredentialKind kind, int n) {
    counter(MetricNames.CREDENTIALS_REVOKED, "Credentials revoked, by kind", MetricNames.KIND, kind.wire()).increment(n);
  }

  private Counter counter(String name, String description, String tag, String value) {
    return Counter.builder(name).description(description).tag(tag, value).register(registry);
  }

  private Timer appendTimer(String status) {
    return Timer.builder(MetricNames.EVIDENCE_APPEND)
        .description("Evidence appends: queue wait plus durable commit")
        .tag(MetricNames.STATUS, status)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  private String attestor(String type) {
    return type != null && attestors.contains(type) ? type : MetricNames.OTHER;
  }
}
