package dev.taskbound.client;

import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.ProblemType;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A begin that may wait for approvers, shared by every adapter (the CLI, the Jenkins step, the GitHub Action's Java
 * twin): when policy answers with an approval request, {@code onPending} is told once (adapters show
 * {@link #waitingLine}), then the request is long-polled ({@code GET /v1/approvals/{id}?wait=}, answered as soon as
 * it changes) until it is approved (the task is collected with a proof by the begin's key and returned, exactly as an
 * unconditioned begin returns it), denied or expired (an {@link IssuerException} with the reason). A wait that is
 * interrupted, or {@link #withdraw()}n from another thread (a signal handler, a step's stop), withdraws the request.
 * An issuer that answers at once (no long-poll) is polled with {@code poll}'s back-off instead. One begin per
 * instance.
 */
public final class ApprovalWait {
  /** Polls after 1 s, doubling to at most 15 s: after failures, and against issuers that do not long-poll. */
  public static final Backoff DEFAULT_POLL = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(15));
  /** How long each long-poll asks the issuer to hold the answer (the issuer caps it at 25 s). */
  public static final Duration LONG_POLL = Duration.ofSeconds(25);
  /** An answer faster than this, unchanged, means the issuer did not hold it: poll with back-off instead. */
  private static final Duration HELD_AT_LEAST = Duration.ofMillis(500);

  /** Signs, where the task key is, the proof that collects the approved task of {@code approvalId}. */
  @FunctionalInterface
  public interface CollectProof {
    String proofFor(String approvalId) throws IOException, InterruptedException;
  }

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

  /** What every adapter prints when a task waits: {@code waiting for approval by release-managers: URL}. */
  public static String waitingLine(ApprovalView a) {
    return "waiting for approval by " + a.approvers() + (a.minApprovers() > 1 ? " (" + a.minApprovers() + " approvers)" : "")
        + ": " + a.url() + " (request " + a.approvalId() + ", expires " + a.expiresAt() + ")";
  }

  /** Begins a task with {@code key}, waiting for approval when the issuer asks for it. */
  public BeginTaskResponse begin(Attestation attestation, TaskKey key, List<String> audiences, String ttl) {
    IssuerClient.Started started = client.start(attestation, key, audiences, ttl);
    try {
      return begin(started, id -> key.proofForApproval(client.issuerUrl(), id, clock.instant()));
    } catch (IOException e) {
      throw new IllegalStateException("an in-process proof cannot fail to be read", e);
    }
  }

  /**
   * Begins a task whose key lives elsewhere (a Jenkins agent): {@code publicJwk} and {@code proof} were made there;
   * once approved, {@code collect} signs the collecting proof there too.
   */
  public BeginTaskResponse begin(
      Attestation attestation, Map<String, Object> publicJwk, String proof, List<String> audiences, String ttl, CollectProof collect)
      throws IOException {
    return begin(client.start(attestation, publicJwk, proof, audiences, ttl), collect);
  }

  private BeginTaskResponse begin(IssuerClient.Started started, CollectProof collect) throws IOException {
    if (started.task() != null) {
      return started.task();
    }
    ApprovalView request = started.approval();
    waitingFor = request;
    try {
      onPending.accept(request);
      return await(request, collect);
    } finally {
      waitingFor = null;
    }
  }

  /** The request being waited for, or null (adapters that persist it, to withdraw it after a restart). */
  public ApprovalView waitingFor() {
    return waitingFor;
  }

  /** Withdraws the request being waited for, if any; safe from a signal handler or another thread, never throws. */
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

  private BeginTaskResponse await(ApprovalView request, CollectProof collect) throws IOException {
    String id = request.approvalId();
    String token = request.requestToken();
    ApprovalView now = request;
    int quick = 0;
    int failures = 0;
    while (true) {
      switch (now.status()) {
        case ApprovalView.APPROVED -> {
          try {
            return client.collect(id, token, collect.proofFor(id));
          } catch (InterruptedException e) {
            throw interrupted(request);
          }
        }
        case ApprovalView.PENDING -> { }
        default -> throw refused(now);
      }
      if (waitingFor == null) {
        throw new IssuerException(410, null, "approval request " + id + " was withdrawn");
      }
      long asked = System.nanoTime();
      try {
        ApprovalView next = client.approval(id, token, LONG_POLL);
        failures = 0;
        boolean unchanged = next.status().equals(now.status()) && next.approvedBy().equals(now.approvedBy());
        if (unchanged && Duration.ofNanos(System.nanoTime() - asked).compareTo(HELD_AT_LEAST) < 0) {
          sleep(poll.delayAfter(++quick), next.expiresAt(), request);
        }
        now = next;
      } catch (IssuerException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw interrupted(request);
        }
        if (!e.retryable()) {
          throw e;
        }
        // The issuer is briefly unreachable: keep the request and ask again.
        sleep(poll.delayAfter(++failures), now.expiresAt(), request);
      }
    }
  }

  private void sleep(Duration delay, Instant expiresAt, ApprovalView request) {
    // Look once more right after the expiry instead of sleeping past it.
    Duration untilExpiry = Duration.between(clock.instant(), expiresAt).plusMillis(100);
    if (!untilExpiry.isNegative() && untilExpiry.compareTo(delay) < 0) {
      delay = untilExpiry;
    }
    try {
      Thread.sleep(Math.max(1, delay.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw interrupted(request);
    }
  }

  /** The wait was interrupted (a step aborted): withdraw, keep the interrupt, and say so. */
  private IssuerException interrupted(ApprovalView request) {
    Thread.interrupted(); // the withdrawal must be able to reach the issuer
    withdraw();
    Thread.currentThread().interrupt();
    return new IssuerException(0, null, "interrupted while waiting for approval; request " + request.approvalId() + " withdrawn");
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
