package dev.taskbound.issuer.signals;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.SignalDeliveryRecord;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SSF transmitter. The transaction that ends a task also puts it in the store's signal outbox (a trigger, V8),
 * so an end that commits always has its events queued, whoever ended it (this replica, another one, an operator
 * command) and whatever happens to the process afterwards. The transmitter relays outbox rows into one signed SET
 * per event and receiver ({@code ssf_deliveries}, taking the row in the same transaction, so one replica relays each
 * end) and pushes them on its own thread, so the request that ended the task never waits for a receiver. It relays
 * at once when told of an end here, and every {@link #POLL} for ends made elsewhere or left by a crash. Failed sends
 * are retried with exponential backoff up to {@link SignalsConfig#maxAttempts()}; a SET the receiver rejects (400) or
 * that runs out of attempts is kept as failed. Without receivers the outbox is drained every {@link #POLL}, a batch of
 * ends per transaction, without sending anything.
 */
public final class SetTransmitter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SetTransmitter.class);
  private static final Duration POLL = Duration.ofSeconds(1);
  /** A sender that dies mid-send leaves the delivery to another sender after this long. */
  private static final Duration LEASE = Duration.ofMinutes(1);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(10);
  private static final int BATCH = 50;
  /** Ends taken off the outbox per transaction when there is no receiver to queue signals for. */
  private static final int DISCARD_BATCH = 1_000;

  private final SignalsConfig config;
  private final String issuerUrl;
  private final SetSigner signer;
  private final Store store;
  private final PushDelivery push;
  private final Clock clock;
  private final Map<String, SignalsConfig.Receiver> receivers = new LinkedHashMap<>();
  private final ScheduledExecutorService worker;

  public SetTransmitter(
      SignalsConfig config, String issuerUrl, SetSigner signer, Store store, PushDelivery push, Clock clock) {
    this.config = config;
    this.issuerUrl = issuerUrl;
    this.signer = signer;
    this.store = store;
    this.push = push;
    this.clock = clock;
    config.receivers().forEach(r -> receivers.put(r.url().toString(), r));
    this.worker =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "taskbound-ssf");
          t.setDaemon(true);
          return t;
        });
  }

  /** Starts pushing: queued deliveries (also those left by an earlier run) go out from now on. */
  public SetTransmitter start() {
    worker.scheduleWithFixedDelay(this::relayAndPumpQuietly, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * A task end listener: relays the outbox and pushes on the transmitter's thread; returns at once. The end's events
   * are already in the outbox (its transaction put them there), so nothing is lost if this never runs. Without
   * receivers it does nothing.
   */
  public void taskEnded(TaskRecord task, List<CredentialRecord> revoked) {
    // Without receivers nobody waits for a signal: the next pass takes the end off the outbox with the others, in
    // one commit, rather than in a commit of its own right after the end's.
    if (!receivers.isEmpty()) {
      worker.execute(this::relayAndPumpQuietly);
    }
  }

  /**
   * Turns outbox rows into queued deliveries, each in one transaction with taking its row. Package-private for
   * tests; the worker calls it every {@link #POLL}, and on every end here when there are receivers.
   */
  void relay() {
    if (receivers.isEmpty()) {
      int taken;
      do {
        taken = store.discardSignalOutbox(DISCARD_BATCH);
      } while (taken == DISCARD_BATCH);
      return;
    }
    while (true) {
      List<String> ended = store.signalOutbox(BATCH);
      for (String taskId : ended) {
        List<SignalDeliveryRecord> queued =
            receivers.isEmpty()
                ? List.of()
                : store.findTask(taskId).filter(t -> !t.active()).map(t -> deliveries(t, revokedByEnd(t))).orElse(List.of());
        if (store.relaySignalOutbox(taskId, queued) && !queued.isEmpty()) {
          LOG.debug("shared signals of task {} queued: {}", taskId, queued.size());
        }
      }
      if (ended.size() < BATCH) {
        return;
      }
    }
  }

  /** The credentials the end revoked (those revoked earlier on their own were signalled then, or never issued). */
  private List<CredentialRecord> revokedByEnd(TaskRecord task) {
    List<CredentialRecord> out = new ArrayList<>();
    for (CredentialRecord c : store.credentialsOf(task.taskId())) {
      if (c.revokedAt() != null && c.revokedAt().equals(task.endedAt())) {
        out.add(c);
      }
    }
    return out;
  }

  private void relayAndPumpQuietly() {
    try {
      relay();
    } catch (RuntimeException e) {
      LOG.warn("shared signals outbox relay failed; retrying on the next pass: {}", e.getMessage());
      return;
    }
    if (!receivers.isEmpty()) {
      pumpQuietly();
    }
  }

  private List<SignalDeliveryRecord> deliveries(TaskRecord task, List<CredentialRecord> revoked) {
    Instant now = clock.instant();
    Map<String, Object> subject = TaskEndEvents.subject(task);
    List<SignalDeliveryRecord> out = new ArrayList<>();
    for (TaskEndEvents.Event event : TaskEndEvents.of(task, revoked)) {
      for (SignalsConfig.Receiver receiver : receivers.values()) {
        JWTClaimsSet claims =
            new JWTClaimsSet.Builder()
                .issuer(issuerUrl)
                .issueTime(Date.from(now))
                .jwtID(UUID.randomUUID().toString())
                .audience(receiver.audience())
                // One transaction id for every SET of one end lets a receiver correlate them.
                .claim("txn", task.taskId())
                .claim("sub_id", subject)
                .claim("events", Map.of(event.type(), event.payload()))
                .build();
        out.add(
            new SignalDeliveryRecord(
                UUID.randomUUID().toString(), receiver.url().toString(), task.taskId(), signer.sign(claims), 0, now, now));
      }
    }
    return out;
  }

  /** Sends every due delivery once. Package-private for tests; the worker calls it every {@link #POLL}. */
  void pump() {
    while (true) {
      Instant now = clock.instant();
      List<SignalDeliveryRecord> due = store.dueSignalDeliveries(now, BATCH);
      for (SignalDeliveryRecord d : due) {
        attempt(d, now);
      }
      if (due.size() < BATCH) {
        return;
      }
    }
  }

  private void pumpQuietly() {
    try {
      pump();
    } catch (RuntimeException e) {
      LOG.warn("shared signals delivery pass failed; retrying on the next pass: {}", e.getMessage());
    }
  }

  private void attempt(SignalDeliveryRecord d, Instant now) {
    SignalsConfig.Receiver receiver = receivers.get(d.receiverUrl());
    if (receiver == null) {
      store.failSignalDelivery(d.deliveryId(), "receiver no longer configured");
      return;
    }
    if (!store.leaseSignalDelivery(d.deliveryId(), d.nextAttemptAt(), now.plus(LEASE))) {
      return; // another replica is sending it
    }
    int attempts = d.attempts() + 1;
    PushDelivery.Result result = push.send(receiver, d.set());
    switch (result.kind()) {
      case DELIVERED -> store.deleteSignalDelivery(d.deliveryId());
      case REJECTED -> {
        LOG.warn("receiver {} rejected a SET of task {}: {}", d.receiverUrl(), d.taskId(), result.detail());
        store.failSignalDelivery(d.deliveryId(), result.detail());
      }
      case RETRY -> {
        if (attempts >= config.maxAttempts()) {
          LOG.warn("giving up a SET of task {} to {} after {} attempts: {}", d.taskId(), d.receiverUrl(), attempts, result.detail());
          store.failSignalDelivery(d.deliveryId(), result.detail());
        } else {
          store.retrySignalDelivery(d.deliveryId(), clock.instant().plus(backoff(attempts)), result.detail());
        }
      }
    }
  }

  /** initial × 2^(attempts-1), capped, with ±20 % jitter so replicas and receivers do not retry in lockstep. */
  private Duration backoff(int attempts) {
    Duration base = config.initialBackoff().multipliedBy(1L << Math.min(attempts - 1, 20));
    if (base.compareTo(MAX_BACKOFF) > 0) {
      base = MAX_BACKOFF;
    }
    double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
    return Duration.ofMillis((long) (base.toMillis() * jitter));
  }

  @Override
  public void close() {
    worker.shutdown();
    try {
      if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
        worker.shutdownNow();
      }
    } catch (InterruptedException e) {
      worker.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
