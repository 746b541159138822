package dev.taskbound.issuer.task;

import com.nimbusds.jose.jwk.ECKey;
import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.CollectTaskRequest;
import dev.taskbound.api.ProblemType;
import dev.taskbound.api.ProofOfPossession;
import dev.taskbound.client.evidence.EvidenceFormat;
import dev.taskbound.issuer.ca.SpiffeId;
import dev.taskbound.issuer.evidence.Event;
import dev.taskbound.issuer.evidence.EvidenceException;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.policy.ApprovalGate;
import dev.taskbound.issuer.store.ApprovalRecord;
import dev.taskbound.issuer.store.ApprovalState;
import dev.taskbound.issuer.store.AttestationUse;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import dev.taskbound.issuer.store.Write;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Approval gates: a begin under a rule with {@code approval:} becomes a request that approvers grant or deny; once
 * approved, its caller collects the task exactly as the begin would have issued it. Every change is one store write
 * with its evidence ({@code approval.*}, logged under the task id the request reserves, so the task's bundle shows
 * who approved). The requester never approves their own request: the attested actor is compared with the approver.
 */
public final class ApprovalRequests {
  private static final Logger LOG = LoggerFactory.getLogger(ApprovalRequests.class);
  private static final Pattern APPROVAL_ID = Pattern.compile("apr_[a-z2-7]{26}");
  private static final String REQUEST_TOKEN_PREFIX = "tbar_";
  private static final int MAX_REASON = 1024;
  /** The context key naming the person whose CI run asked (GitHub's {@code actor}, an OIDC CI's). */
  static final String ACTOR = "actor";
  /** Who vouches for an approver named by an operator command ({@code --as}): the command line itself. */
  public static final String CLI_ISSUER = "cli";

  /** The longest wait a long-polling caller gets ({@code ?wait=}): under common proxies' and Jetty's 30 s idle timeouts. */
  public static final java.time.Duration MAX_WAIT = java.time.Duration.ofSeconds(25);

  /**
   * Who approves or denies: the IdP that vouched for them ({@code cli} for an operator command) and their name.
   *
   * @param groups the groups their IdP token names them a member of; null when they are trusted as named (an operator
   *     command on the data directory, dev mode's login): then group membership is not checked
   */
  public record Approver(String issuer, String name, Set<String> groups) {
    public Approver {
      if (issuer == null || issuer.isBlank() || name == null || name.isBlank() || name.length() > 256) {
        throw new TaskException(ProblemType.MALFORMED_REQUEST, "an approver needs an issuer and a name (at most 256 characters)");
      }
      groups = groups == null ? null : Set.copyOf(groups);
    }

    /** An approver trusted as named, without a group check (operator commands). */
    public Approver(String issuer, String name) {
      this(issuer, name, null);
    }
  }

  /** Told after a request or a change to one is committed (notifications, waiting callers). */
  public interface Listener {
    /** A new request waits for approvers; {@code url} is where they act on it. */
    default void requested(ApprovalRecord request, String url) {}

    /** The request changed (approved by one more, decided, expired, withdrawn, collected). */
    default void changed(String approvalId) {}
  }

  private final TaskLifecycle tasks;
  private final Store store;
  private final TaskEvidence evidence;
  private final ProofOfPossessionVerifier proofs;
  private final String issuerUrl;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final ApprovalWatch watch;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  ApprovalRequests(
      TaskLifecycle tasks, Store store, TaskEvidence evidence, ProofOfPossessionVerifier proofs, String issuerUrl,
      Clock clock) {
    this.tasks = tasks;
    this.store = store;
    this.evidence = evidence;
    this.proofs = proofs;
    this.issuerUrl = issuerUrl;
    this.clock = clock;
    this.watch = new ApprovalWatch(store);
    listeners.add(new Listener() {
      @Override
      public void changed(String approvalId) {
        watch.changed(approvalId);
      }
    });
  }

  /** Adds a listener told of new requests and of changes this replica commits. */
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** The long-polling callers; the running issuer polls the store for them ({@link ApprovalWatch#pollStore}). */
  public ApprovalWatch watch() {
    return watch;
  }

  // ---- the caller ------------------------------------------------------------------------------------------

  /** Records the request, spending the attestation, with {@code approval.requested}: one write. */
  ApprovalView request(TaskLifecycle.TaskPlan plan, ApprovalGate gate, AttestationUse use) {
    // The store keeps milliseconds: the answer shows what polling will show.
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    String approvalId = "apr_" + TaskLifecycle.Base32.encode(randomBytes(16));
    String requestToken = REQUEST_TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
    String requester = plan.context().get(ACTOR);
    Instant expiresAt = now.plus(gate.timeout());
    ECKey key = plan.taskKey();
    ApprovalRecord record =
        new ApprovalRecord(
            approvalId, plan.taskId(), ApprovalState.PENDING, gate.group(), gate.minApprovers(), requester,
            TaskLifecycle.sha256Hex(requestToken), plan.attestor(), plan.attestationSha256(), plan.context(),
            key.toPublicJWK().toJSONString(), TaskLifecycle.thumbprint(key), plan.audiences(), plan.requestedTtl(),
            plan.spiffeId().toString(), plan.rule(), plan.policyVersion(), plan.ttlCap(), plan.downstreamAudiences(),
            plan.maxExchanges(), now, expiresAt, null, null, null, List.of());
    Event requested =
        Event.approvalRequested(
            plan.taskId(), now, approvalId, requester, plan.attestor(), plan.attestationSha256(), plan.policyVersion(),
            plan.rule(), record.spiffeId(), gate.group(), gate.minApprovers(), expiresAt);
    Optional<EvidenceLog.Appending> logged;
    try {
      logged = store.insertApproval(record, use, now, requireEvidence().approval(requested));
    } catch (StoreException | EvidenceException e) {
      LOG.error("approval request {} not recorded: {}", approvalId, e.getMessage());
      throw new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the issuer could not record the approval request; retry later", e);
    }
    if (logged.isEmpty()) {
      throw new TaskException(ProblemType.ATTESTATION_FAILED, "the attestation is unknown, expired or was already used");
    }
    LOG.info("approval requested: id={} task_id={} rule={} approvers={} expires_at={}", approvalId, plan.taskId(), plan.rule(), gate.group(), expiresAt);
    for (Listener l : listeners) {
      try {
        l.requested(record, url(approvalId));
      } catch (RuntimeException e) {
        LOG.warn("approval request {}: a listener failed: {}", approvalId, e.toString());
      }
    }
    return view(record, requestToken);
  }

  /** The request as its caller sees it (request token required). */
  public ApprovalView view(String approvalId, String requestToken) {
    return view(authorize(approvalId, requestToken), null);
  }

  /**
   * The request as its caller sees it once it differs from what the caller saw ({@code GET …?wait=}): at once when it
   * is no longer pending; otherwise when it changes (approved, denied, withdrawn, one more approval), when it expires,
   * or after {@code wait} (at most {@link #MAX_WAIT}), whichever is first. The answer is computed on {@code executor}.
   */
  public CompletableFuture<ApprovalView> viewWhenChanged(String approvalId, String requestToken, java.time.Duration wait, Executor executor) {
    ApprovalRecord a = authorize(approvalId, requestToken);
    if (a.state() != ApprovalState.PENDING || wait.isZero() || wait.isNegative()) {
      return CompletableFuture.completedFuture(view(a, null));
    }
    java.time.Duration capped = wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
    // Wake just after the expiry too, so the caller hears "expired" as it happens rather than at its next poll.
    java.time.Duration untilExpiry = java.time.Duration.between(clock.instant(), a.expiresAt()).plusMillis(50);
    if (untilExpiry.compareTo(capped) < 0) {
      capped = untilExpiry.isNegative() ? java.time.Duration.ZERO : untilExpiry;
    }
    return watch.next(a, capped).thenApplyAsync(v -> view(approvalId, requestToken), executor);
  }

  /** The caller gives up waiting (its step was aborted): the request is withdrawn, no task will be issued. */
  public ApprovalView withdraw(String approvalId, String requestToken) {
    ApprovalRecord a = authorize(approvalId, requestToken);
    if (a.state().open()) {
      close(a, ApprovalState.WITHDRAWN, null, null, Event.approvalWithdrawn(a.taskId(), clock.instant(), approvalId));
      a = reread(approvalId);
    }
    if (a.state() != ApprovalState.WITHDRAWN) {
      throw notOpen(a);
    }
    return view(a, null);
  }

  /** The task of an approved request, once, for a fresh proof by the key given with the begin. */
  public BeginTaskResponse collect(String approvalId, String requestToken, CollectTaskRequest body) {
    ApprovalRecord a = authorize(approvalId, requestToken);
    if (body == null || body.proof() == null) {
      throw new TaskException(ProblemType.MALFORMED_REQUEST, "the body must carry a proof");
    }
    ECKey key;
    try {
      key = ECKey.parse(a.publicKeyJwk());
    } catch (ParseException e) {
      throw new IllegalStateException("stored task key does not parse", e);
    }
    if (a.state() != ApprovalState.APPROVED) {
      throw notOpen(a);
    }
    proofs.verify(body.proof(), key, issuerUrl, ProofOfPossession.CLAIM_APPROVAL_ID, approvalId, "this approval request");
    TaskLifecycle.TaskPlan plan =
        new TaskLifecycle.TaskPlan(
            a.taskId(), a.attestor(), a.context(), a.attestationSha256(), SpiffeId.parse(a.spiffeId()), a.policyRule(),
            a.policyVersion(), a.ttlCap(), a.downstreamAudiences(), a.maxExchanges(), key, a.audiences(), a.requestedTtl());
    BeginTaskResponse issued =
        tasks.issue(
            plan,
            (task, records, grant, now, logged) -> store.insertApprovedTask(approvalId, task, records, grant, now, logged),
            () -> notOpen(reread(approvalId)));
    changed(approvalId);
    return issued;
  }

  // ---- approvers -------------------------------------------------------------------------------------------

  /** One approver's approval; the request is approved once enough distinct approvers (never the requester) did. */
  public ApprovalRecord approve(String approvalId, Approver approver) {
    ApprovalRecord a = find(approvalId);
    requireMember(a, approver);
    if (a.requester() != null && a.requester().toLowerCase(Locale.ROOT).equals(approver.name().toLowerCase(Locale.ROOT))) {
      throw new TaskException(ProblemType.FORBIDDEN, approver.name() + " asked for this task and cannot approve it; another member of " + a.approvers() + " must");
    }
    if (a.approvedBy().stream().anyMatch(n -> n.equalsIgnoreCase(approver.name()))) {
      throw new TaskException(ProblemType.APPROVAL_NOT_OPEN, approver.name() + " already approved " + approvalId + "; it needs " + a.minApprovers() + " distinct approvers");
    }
    if (a.state() != ApprovalState.PENDING) {
      throw notOpen(a);
    }
    Instant now = clock.instant();
    Event granted = Event.approvalGranted(a.taskId(), now, approvalId, approver.issuer(), approver.name());
    Optional<?> done;
    try {
      done = store.grantApproval(approvalId, approver.name(), now, write(approvalId, granted));
    } catch (StoreException | EvidenceException e) {
      throw new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the approval could not be recorded with its evidence; retry", e);
    }
    ApprovalRecord after = reread(approvalId);
    if (done.isEmpty()) {
      throw notOpen(after);
    }
    changed(approvalId);
    LOG.info("approval granted: id={} by={} state={}", approvalId, approver.name(), after.state().name().toLowerCase(Locale.ROOT));
    return after;
  }

  public ApprovalRecord deny(String approvalId, Approver approver, String reason) {
    if (reason == null || reason.isBlank() || reason.length() > MAX_REASON) {
      throw new TaskException(ProblemType.MALFORMED_REQUEST, "reason is required (at most " + MAX_REASON + " characters)");
    }
    ApprovalRecord a = find(approvalId);
    requireMember(a, approver);
    if (a.state() != ApprovalState.PENDING) {
      throw notOpen(a);
    }
    Event denied = Event.approvalDenied(a.taskId(), clock.instant(), approvalId, approver.issuer(), approver.name(), reason);
    close(a, ApprovalState.DENIED, approver.name(), reason, denied);
    ApprovalRecord after = reread(approvalId);
    if (after.state() != ApprovalState.DENIED) {
      throw notOpen(after);
    }
    LOG.info("approval denied: id={} by={}", approvalId, approver.name());
    return after;
  }

  /** One request for approvers and operators (expired first if its time ran out). */
  public ApprovalRecord find(String approvalId) {
    if (approvalId == null || !APPROVAL_ID.matcher(approvalId).matches()) {
      throw new TaskException(ProblemType.NOT_FOUND, "no approval request " + (approvalId == null ? "" : approvalId.replaceAll("[^A-Za-z0-9_]", "?")));
    }
    ApprovalRecord a =
        store.findApproval(approvalId).orElseThrow(() -> new TaskException(ProblemType.NOT_FOUND, "no approval request " + approvalId));
    return expireIfOverdue(a);
  }

  /** Newest first, after recording the expiry of those whose time ran out. */
  public List<ApprovalRecord> list(ApprovalState state, int limit) {
    expireOverdue(100);
    return store.listApprovals(state, limit);
  }

  /** Records the expiry of open requests whose time ran out (the reaper, listings); returns how many. */
  public int expireOverdue(int limit) {
    int expired = 0;
    for (ApprovalRecord a : store.overdueApprovals(clock.instant(), limit)) {
      if (expireIfOverdue(a).state() == ApprovalState.EXPIRED) {
        expired++;
      }
    }
    return expired;
  }

  /**
   * Logs what operator commands changed (their approvals, denials and the expiries they recorded) and is not in the
   * log yet; returns how many events were appended. Approvers named by a command are vouched for by {@code cli}.
   */
  public synchronized int logPendingEvidence(int limit) {
    if (evidence == null) {
      return 0;
    }
    int appended = 0;
    for (ApprovalRecord a : store.approvalsWithPendingEvidence(limit)) {
      Set<String> logged = evidence.loggedApprovalEvents(a.taskId());
      Instant at = a.decidedAt() != null ? a.decidedAt() : clock.instant();
      List<Event> events = new ArrayList<>();
      for (String name : a.approvedBy()) {
        if (!logged.contains(EvidenceFormat.APPROVAL_GRANTED + " " + name)) {
          events.add(Event.approvalGranted(a.taskId(), at, a.approvalId(), CLI_ISSUER, name));
        }
      }
      if (a.state() == ApprovalState.DENIED && !logged.contains(EvidenceFormat.APPROVAL_DENIED + " " + a.decidedBy())) {
        events.add(Event.approvalDenied(a.taskId(), at, a.approvalId(), CLI_ISSUER, a.decidedBy(), a.reason()));
      }
      if (a.state() == ApprovalState.EXPIRED && !logged.contains(EvidenceFormat.APPROVAL_EXPIRED + " ")) {
        events.add(Event.approvalExpired(a.taskId(), at, a.approvalId()));
      }
      if (!events.isEmpty()) {
        evidence.append(events);
        appended += events.size();
      }
      store.clearApprovalEvidencePending(a.approvalId());
    }
    return appended;
  }

  /** The link an approver follows: the request in the admin API. */
  public String url(String approvalId) {
    return issuerUrl + "/v1/admin/approvals/" + approvalId;
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private ApprovalRecord expireIfOverdue(ApprovalRecord a) {
    Instant now = clock.instant();
    if (!a.overdue(now)) {
      return a;
    }
    close(a, ApprovalState.EXPIRED, null, null, Event.approvalExpired(a.taskId(), now, a.approvalId()));
    LOG.info("approval expired: id={}", a.approvalId());
    return store.findApproval(a.approvalId()).orElse(a);
  }

  private void close(ApprovalRecord a, ApprovalState to, String by, String reason, Event event) {
    try {
      store.closeApproval(a.approvalId(), to, by, reason, clock.instant(), write(a.approvalId(), event));
    } catch (StoreException | EvidenceException e) {
      throw new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the change could not be recorded with its evidence; retry", e);
    }
    changed(a.approvalId());
  }

  private void changed(String approvalId) {
    for (Listener l : listeners) {
      try {
        l.changed(approvalId);
      } catch (RuntimeException e) {
        LOG.warn("approval request {}: a listener failed: {}", approvalId, e.toString());
      }
    }
  }

  /**
   * Approvers named by an IdP token act only on requests for a group the token says they belong to; those trusted as
   * named (operator commands) are recorded as named.
   */
  private static void requireMember(ApprovalRecord a, Approver approver) {
    if (approver.groups() != null && !approver.groups().contains(a.approvers())) {
      throw new TaskException(
          ProblemType.FORBIDDEN, approver.name() + " is not a member of " + a.approvers() + ", whose approval " + a.approvalId() + " needs");
    }
  }

  /**
   * The event's write. Operator commands have no evidence writer: theirs marks the request, and the running issuer
   * logs the change ({@link #logPendingEvidence}).
   */
  private Write<Object> write(String approvalId, Event event) {
    if (evidence == null) {
      return Store.approvalEvidencePending(approvalId);
    }
    Write<EvidenceLog.Appending> append = evidence.approval(event);
    return Write.of(append.operation(), append::apply);
  }

  private ApprovalRecord authorize(String approvalId, String requestToken) {
    ApprovalRecord a = find(approvalId);
    if (requestToken == null || requestToken.isEmpty()) {
      throw new TaskException(ProblemType.UNAUTHORIZED, "the request token is required (Authorization: Bearer)");
    }
    byte[] presented = TaskLifecycle.sha256Hex(requestToken).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(presented, a.requestTokenSha256().getBytes(StandardCharsets.US_ASCII))) {
      throw new TaskException(ProblemType.UNAUTHORIZED, "the request token does not match approval request " + approvalId);
    }
    return a;
  }

  private ApprovalRecord reread(String approvalId) {
    return store.findApproval(approvalId).orElseThrow();
  }

  private TaskEvidence requireEvidence() {
    if (evidence == null) {
      throw new IllegalStateException("without an evidence log no approval can be requested");
    }
    return evidence;
  }

  /** Why the request cannot do what was asked: the problem its state maps to. */
  static TaskException notOpen(ApprovalRecord a) {
    String id = a.approvalId();
    return switch (a.state()) {
      case PENDING -> new TaskException(
          ProblemType.APPROVAL_PENDING,
          id + " is waiting for " + (a.minApprovers() - a.approvedBy().size()) + " more approval(s) by " + a.approvers());
      case DENIED -> new TaskException(ProblemType.APPROVAL_DENIED, id + " was denied by " + a.decidedBy() + ": " + a.reason());
      case EXPIRED -> new TaskException(ProblemType.APPROVAL_EXPIRED, id + " expired at " + a.expiresAt() + " without the task being issued");
      case WITHDRAWN -> new TaskException(ProblemType.APPROVAL_WITHDRAWN, id + " was withdrawn by its caller");
      case APPROVED -> new TaskException(ProblemType.APPROVAL_NOT_OPEN, id + " is already approved; collect its task");
      case ISSUED -> new TaskException(ProblemType.APPROVAL_NOT_OPEN, id + " has been collected as task " + a.taskId());
    };
  }

  private ApprovalView view(ApprovalRecord a, String requestToken) {
    return new ApprovalView(
        a.approvalId(), a.state().name().toLowerCase(Locale.ROOT), a.approvers(), a.minApprovers(), a.approvedBy(),
        a.expiresAt(), url(a.approvalId()), requestToken, a.state() == ApprovalState.DENIED ? a.decidedBy() : null,
        a.reason(), a.state() == ApprovalState.ISSUED ? a.taskId() : null);
  }

  private byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    random.nextBytes(bytes);
    return bytes;
  }
}
