package dev.taskbound.client;

import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.ProblemType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A begin that may wait for approvers: when policy answers with an approval request, {@code onPending} is told
 * once (adapters show who approves and the URL), then the request is polled with back-off until it is approved (the
 * task is collected with the same key and returned, exactly as an unconditioned begin returns it), denied or expired
 * (an {@link IssuerException} with the reason). A wait that is interrupted, or {@link #withdraw()}n from a signal
 * handler, withdraws the request. One begin per instance.
 */
public final class ApprovalWait {
  /** Polls after 1 s, doubling to at most 15 s: approvers are people. */
  public static final Backoff DEFAULT_POLL = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(15));

  private final IssuerClient client;
  private final Backoff poll;
  private final Consumer<ApprovalView> onPending;
  private final Clock clock;
  private volatile ApprovalView waitingFor;

  public ApprovalWait(IssuerClient client, Backoff poll, Consumer<ApprovalView> onPending, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.poll = Objects.requireNonNull(poll, "poll");
    this.onPending = Objects.requireNonNull(onPending, "onPending");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Waits silently with the default poll (adapters that show nothing). */
  public static ApprovalWait quiet(IssuerClient client) {
    return new ApprovalWait(client, DEFAULT_POLL, a -> {}, Clock.systemUTC());
  }

  /** Begins a task with {@code key}, waiting for approval when the issuer asks for it. */
  public BeginTaskResponse begin(Attestation attestation, TaskKey key, List<String> audiences, String ttl) {
    IssuerClient.Started started = client.start(attestation, key, audiences, ttl);
    if (started.task() != null) {
      return started.task();
    }
    ApprovalView request = started.approval();
    waitingFor = request;
    try {
      onPending.accept(request);
      return await(request, key);
    } finally {
      waitingFor = null;
    }
  }

  /** Withdraws the request being waited for, if any; safe from a signal handler or shutdown hook, never throws. */
  public void withdraw() {
    ApprovalView request = waitingFor;
    waitingFor = null;
    if (request == null) {
      return;
    }
    try {
      client.withdraw(request.approvalId(), request.requestToken());
    } catch (IssuerException e) {
      // Already decided, or the issuer is unreachable: the request then expires on its own.
    }
  }

  private BeginTaskResponse await(ApprovalView request, TaskKey key) {
    String id = request.approvalId();
    String token = request.requestToken();
    ApprovalView now = request;
    for (int attempt = 1; ; attempt++) {
      switch (now.status()) {
        case ApprovalView.APPROVED -> {
          return client.collect(id, token, key);
        }
        case ApprovalView.PENDING -> sleep(attempt, now.expiresAt(), request);
        default -> throw refused(now);
      }
      if (waitingFor == null) {
        throw new IssuerException(0, null, "approval request " + id + " was withdrawn");
      }
      try {
        now = client.approval(id, token);
      } catch (IssuerException e) {
        if (!e.retryable()) {
          throw e;
        }
        // The issuer is briefly unreachable: keep the request and poll again.
      }
    }
  }

  private void sleep(int attempt, Instant expiresAt, ApprovalView request) {
    Duration delay = poll.delayAfter(attempt);
    // Look once more right after the expiry instead of sleeping past it.
    Duration untilExpiry = Duration.between(clock.instant(), expiresAt).plusMillis(100);
    if (!untilExpiry.isNegative() && untilExpiry.compareTo(delay) < 0) {
      delay = untilExpiry;
    }
    try {
      Thread.sleep(Math.max(1, delay.toMillis()));
    } catch (InterruptedException e) {
      withdraw();
      Thread.currentThread().interrupt();
      throw new IssuerException(0, null, "interrupted while waiting for approval; request " + request.approvalId() + " withdrawn");
    }
  }

  /** Denied, expired, withdrawn: the problem, in the caller's terms. */
  private static IssuerException refused(ApprovalView a) {
    String path = "/v1/approvals/" + a.approvalId();
    return switch (a.status()) {
      case "denied" -> {
        String detail = "approval denied by " + a.deniedBy() + ": " + a.reason();
        yield new IssuerException(403, ProblemType.APPROVAL_DENIED.problem(detail, path), detail);
      }
      case "expired" -> {
        String detail = "approval request " + a.approvalId() + " expired at " + a.expiresAt() + " without approval by " + a.approvers();
        yield new IssuerException(410, ProblemType.APPROVAL_EXPIRED.problem(detail, path), detail);
      }
      default -> {
        String detail = "approval request " + a.approvalId() + " is " + a.status();
        yield new IssuerException(410, ProblemType.APPROVAL_WITHDRAWN.problem(detail, path), detail);
      }
    };
  }
}
