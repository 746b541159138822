package dev.taskbound.client;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.api.TaskOutcome;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A step's identity when the key lives on one machine (a Jenkins agent, behind {@link StepAgent}) and the issuer is
 * called from another (the controller, which holds the attestation and the control token). Stateless: the caller
 * keeps taskId, control token and directory between calls (and across restarts), so a restarted controller can
 * {@link #renew} or {@link #finish} a task it began before.
 *
 * <ol>
 *   <li>{@link #begin}: the agent makes the key and a proof over the attestation's digest (never the attestation
 *       itself), the caller begins the task, the agent writes the SVID files; if anything after begin fails, the task
 *       is ended {@code failed} and the files wiped before the error surfaces.</li>
 *   <li>{@link #renew} while the step runs, at {@link StepCredentials#renewAfter()}.</li>
 *   <li>{@link #finish} with the outcome: end (revoke) with bounded retry, then wipe, whatever the end came to.</li>
 * </ol>
 */
public final class StepIdentity {
  private final IssuerClient client;
  private final Backoff endBackoff;
  private final Duration endRetryFor;
  private final Clock clock;

  public StepIdentity(IssuerClient client, Backoff endBackoff, Duration endRetryFor, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.endBackoff = Objects.requireNonNull(endBackoff, "endBackoff");
    this.endRetryFor = Objects.requireNonNull(endRetryFor, "endRetryFor");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** End retries as {@link SessionOptions#defaults()}: half a second doubling to 15 s, for two minutes. */
  public StepIdentity(IssuerClient client) {
    this(client, SessionOptions.defaults().endBackoff(), SessionOptions.defaults().endRetryFor(), Clock.systemUTC());
  }

  public String issuerUrl() {
    return client.issuerUrl();
  }

  /** The client this identity calls the issuer with (approval waits, withdrawals). */
  public IssuerClient client() {
    return client;
  }

  /**
   * Begins the step's task.
   *
   * @param parent where the agent creates the private directory; null for its temp dir
   * @param exchange downstream audiences to exchange a JWT-SVID for right away (RFC 8693); the JWT-SVID for the
   *     issuer itself that the exchange needs is asked for too. A refused exchange ends the task {@code failed}.
   */
  public StepCredentials begin(
      Attestation attestation, StepAgent agent, String parent, List<String> audiences, String ttl, List<String> exchange)
      throws IOException, InterruptedException {
    return begin(attestation, agent, parent, audiences, ttl, exchange, null);
  }

  /**
   * As {@link #begin(Attestation, StepAgent, String, List, String, List)}, waiting through {@code approval} when
   * policy asks for approvers (null: such a begin is refused); the collecting proof is signed on the agent
   * ({@link StepAgent#proveForApproval}). Interrupting the wait withdraws the request.
   */
  public StepCredentials begin(
      Attestation attestation, StepAgent agent, String parent, List<String> audiences, String ttl, List<String> exchange,
      ApprovalWait approval)
      throws IOException, InterruptedException {
    Objects.requireNonNull(attestation, "attestation");
    List<String> downstreamAudiences = exchange == null ? List.of() : List.copyOf(exchange);
    List<String> jwtAudiences = DownstreamExchange.jwtAudiences(audiences, downstreamAudiences, client.issuerUrl());
    KeyOffer offer = agent.createKey(parent, client.issuerUrl(), TaskKey.attestationDigest(attestation.token()));
    BeginTaskResponse begun;
    try {
      begun = approval == null
          ? client.begin(attestation, offer.publicJwk(), offer.proof(), jwtAudiences, ttl)
          : approval.begin(
              attestation, offer.publicJwk(), offer.proof(), jwtAudiences, ttl,
              id -> agent.proveForApproval(offer.directory(), client.issuerUrl(), id));
    } catch (IOException | RuntimeException e) {
      wipeQuietly(agent, offer.directory(), e);
      throw e;
    }
    Svids svids = Svids.of(begun, null);
    try {
      List<DownstreamToken> downstream = exchange(svids, downstreamAudiences);
      SvidFiles files = new SvidFiles(svids, downstream);
      WrittenFiles written = agent.write(offer.directory(), files);
      return new StepCredentials(begun.taskId(), begun.spiffeId(), begun.expiresAt(), begun.renewAfter(), begun.controlToken(), svids,
          downstream, Map.of(), files, written);
    } catch (IOException | InterruptedException | RuntimeException e) {
      // The issuer issued, the step cannot use it: take the credentials back at once.
      EndResult ended = endRetry().end(begun.taskId(), begun.controlToken(), TaskOutcome.FAILED.wire(), "credentials could not be delivered to the step");
      if (!ended.ended()) {
        e.addSuppressed(ended.failure());
      }
      wipeQuietly(agent, offer.directory(), e);
      throw e;
    }
  }

  /** {@link #begin(Attestation, StepAgent, String, List, String, List)} without token exchange. */
  public StepCredentials begin(Attestation attestation, StepAgent agent, String parent, List<String> audiences, String ttl)
      throws IOException, InterruptedException {
    return begin(attestation, agent, parent, audiences, ttl, List.of());
  }

  /**
   * Renews at the issuer, exchanges the fresh issuer-audience JWT-SVID again for the downstream audiences in
   * {@code refresh} (those past {@link DownstreamToken#refreshAt()}), and rewrites the files; the caller retries on
   * failure while the task lives.
   */
  public StepCredentials renew(String taskId, String controlToken, StepAgent agent, String directory, List<String> refresh)
      throws IOException, InterruptedException {
    RenewTaskResponse renewed = client.renew(taskId, controlToken);
    Svids svids = Svids.of(renewed, null);
    // A refused refresh (max_exchanges used up, say) must not keep the fresh SVIDs from the step: the old downstream
    // token stays in its file until it expires, and the failure is reported.
    List<DownstreamToken> downstream = new ArrayList<>();
    Map<String, String> failures = new LinkedHashMap<>();
    for (String audience : refresh == null ? List.<String>of() : refresh) {
      try {
        downstream.addAll(exchange(svids, List.of(audience)));
      } catch (IssuerException | IllegalStateException e) {
        failures.put(audience, e.getMessage());
      }
    }
    SvidFiles files = new SvidFiles(svids, downstream);
    WrittenFiles written = agent.write(directory, files);
    return new StepCredentials(renewed.taskId(), renewed.spiffeId(), renewed.expiresAt(), renewed.renewAfter(), controlToken, svids,
        downstream, failures, files, written);
  }

  /** {@link #renew(String, String, StepAgent, String, List)} with no downstream token to refresh. */
  public StepCredentials renew(String taskId, String controlToken, StepAgent agent, String directory)
      throws IOException, InterruptedException {
    return renew(taskId, controlToken, agent, directory, List.of());
  }

  private List<DownstreamToken> exchange(Svids svids, List<String> audiences) {
    return DownstreamExchange.exchange(client, svids, audiences);
  }

  /**
   * Ends the task with {@code outcome} (retrying an unreachable issuer for the configured window) and then wipes the
   * directory, whether or not the end went through. Safe to repeat: end is idempotent at the issuer.
   *
   * @param directory null when nothing was written (or the agent is gone for good)
   */
  public StepEnding finish(String taskId, String controlToken, TaskOutcome outcome, String reason, StepAgent agent, String directory) {
    if (!outcome.reportableByClient()) {
      throw new IllegalArgumentException("a step ends succeeded, failed, aborted or timed_out, not " + outcome.wire());
    }
    EndResult end = endRetry().end(taskId, controlToken, outcome.wire(), reason);
    Exception wipeFailure = null;
    if (directory != null && agent != null) {
      try {
        agent.wipe(directory);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        wipeFailure = e;
      } catch (IOException | RuntimeException e) {
        wipeFailure = e;
      }
    }
    return new StepEnding(end, wipeFailure);
  }

  private EndRetry endRetry() {
    return new EndRetry(client, endBackoff, endRetryFor, clock);
  }

  private static void wipeQuietly(StepAgent agent, String directory, Exception primary) {
    try {
      agent.wipe(directory);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      primary.addSuppressed(e);
    } catch (IOException | RuntimeException e) {
      primary.addSuppressed(e);
    }
  }
}
