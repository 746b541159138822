package dev.taskbound.issuer.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskRequest;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.CredentialView;
import dev.taskbound.api.EndTaskRequest;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.EvidenceRef;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.api.ProblemType;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.api.RevokedCredential;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.api.TaskView;
import dev.taskbound.client.evidence.CredentialStatus;
import dev.taskbound.issuer.attest.AttestationException;
import dev.taskbound.issuer.attest.AttestedIdentity;
import dev.taskbound.issuer.attest.Attestor;
import dev.taskbound.issuer.ca.JwtSvidIssued;
import dev.taskbound.issuer.ca.JwtSvidMinter;
import dev.taskbound.issuer.ca.SpiffeId;
import dev.taskbound.issuer.ca.TimeOrderedId;
import dev.taskbound.issuer.ca.X509SvidIssued;
import dev.taskbound.issuer.ca.X509SvidMinter;
import dev.taskbound.issuer.config.HumanDuration;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.evidence.EvidenceException;
import dev.taskbound.issuer.evidence.EvidenceLog;
import dev.taskbound.issuer.policy.Decision;
import dev.taskbound.issuer.policy.PolicyEngine;
import dev.taskbound.issuer.policy.PolicyRequest;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.ExchangeGrant;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.store.TaskState;
import dev.taskbound.issuer.store.Write;
import java.nio.charset.StandardCharsets;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import dev.taskbound.issuer.logging.TaskLogFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task state machine: begin (attest, decide, mint), renew (fresh SVIDs while active and within the task's
 * lifetime), end (revoke everything, once). Every request is validated in full before anything is consumed or
 * written, so bad input changes nothing. State lives in the {@link Store}; credentials are returned only after
 * the store has durably recorded them (fail closed).
 */
public final class TaskLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(TaskLifecycle.class);
  private static final Pattern TASK_ID = Pattern.compile("tsk_[a-z2-7]{26}");
  private static final int MAX_AUDIENCES = 16;
  private static final int MAX_AUDIENCE_LENGTH = 512;
  private static final int MAX_TOKEN_LENGTH = 16 * 1024;
  /** Less than this cannot carry a JWT-SVID (whole-second times) with a margin for the minting itself. */
  static final Duration MIN_CREDENTIAL_LIFETIME = Duration.ofSeconds(2);

  private final IssuerConfig config;
  private final String issuerUrl;
  private final Store store;
  private final Map<String, Attestor> attestors;
  private final PolicyEngine policy;
  private final X509SvidMinter x509Minter;
  private final JwtSvidMinter jwtMinter;
  /** The trust bundle's X.509 authorities as PEM, built once per bundle change. */
  private final Supplier<String> bundlePem;
  private final Clock clock;
  private final ProofOfPossessionVerifier proofs;
  private final TaskEvidence evidence;
  private final SecureRandom random = new SecureRandom();
  private final List<TaskEndListener> endListeners = new CopyOnWriteArrayList<>();
  private volatile TaskObserver observer = TaskObserver.NONE;
  private final ApprovalRequests approvals;

  public TaskLifecycle(
      IssuerConfig config,
      Store store,
      List<Attestor> attestors,
      PolicyEngine policy,
      X509SvidMinter x509Minter,
      JwtSvidMinter jwtMinter,
      Supplier<String> bundlePem,
      EvidenceLog evidenceLog,
      Clock clock) {
    this.config = config;
    this.issuerUrl = config.issuerUrl();
    this.store = store;
    Map<String, Attestor> byType = new LinkedHashMap<>();
    attestors.forEach(a -> byType.put(a.type(), a));
    this.attestors = Map.copyOf(byType);
    this.policy = policy;
    this.x509Minter = x509Minter;
    this.jwtMinter = jwtMinter;
    this.bundlePem = bundlePem;
    this.clock = clock;
    this.proofs = new ProofOfPossessionVerifier(clock);
    // Null only for operator commands working offline: their ends are logged by the running issuer's catch-up.
    this.evidence = evidenceLog == null ? null : new TaskEvidence(evidenceLog, store);
    this.approvals = new ApprovalRequests(this, store, evidence, proofs, issuerUrl, clock);
  }

  /** The approval requests of begins under rules with {@code approval:}. */
  public ApprovalRequests approvals() {
    return approvals;
  }

  /** Sets the observer told of begins, renewals and refusals (metrics); one at a time. */
  public void observe(TaskObserver observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /** Registers a listener told of every task end (see {@link TaskEndListener}). */
  public void addEndListener(TaskEndListener listener) {
    endListeners.add(listener);
  }

  // ---- begin -----------------------------------------------------------------------------------------------

  /**
   * Begins a task under a rule without {@code approval:}; a rule that needs approval is refused here, before the
   * attestation is spent (callers that can wait use {@link #start}).
   */
  public BeginTaskResponse begin(BeginTaskRequest request) {
    return start(request, false).task();
  }

  /**
   * What a begin produced: the task, or (under a rule with {@code approval:}, when the caller can wait) an approval
   * request to poll. Exactly one of the two is set.
   */
  public record Started(BeginTaskResponse task, ApprovalView approval) {}

  /** Begins a task, or (when the matching rule needs approval and {@code mayWait}) asks for approval. */
  public Started start(BeginTaskRequest request, boolean mayWait) {
    if (request == null) {
      throw malformed("request body is required");
    }
    Attestation attestation = request.attestation();
    if (attestation == null || blank(attestation.type()) || blank(attestation.token())) {
      throw malformed("attestation.type and attestation.token are required");
    }
    if (attestation.token().length() > MAX_TOKEN_LENGTH) {
      throw new TaskException(ProblemType.ATTESTATION_FAILED, "attestation token is too large");
    }
    ECKey taskKey = parseTaskKey(request.publicKey());
    List<String> audiences = audiences(request.audiences());
    Duration requestedTtl = ttl(request.ttl());
    proofs.verify(request.proof(), taskKey, issuerUrl, attestation.token());

    Attestor attestor = attestors.get(attestation.type());
    if (attestor == null) {
      observer.attestationFailed(attestation.type(), TaskObserver.AttestationFailure.UNKNOWN_ATTESTOR);
      throw new TaskException(
          ProblemType.ATTESTATION_FAILED, "attestor '" + attestation.type() + "' is not enabled on this issuer");
    }
    AttestedIdentity who;
    try {
      who = attestor.attest(attestation);
    } catch (AttestationException e) {
      observer.attestationFailed(attestation.type(), TaskObserver.AttestationFailure.REFUSED);
      throw new TaskException(ProblemType.ATTESTATION_FAILED, e.getMessage());
    }

    Decision decision = policy.decide(who, new PolicyRequest(audiences, requestedTtl));
    if (!decision.allowed()) {
      LOG.info("task denied: attestor={} reason={} rule={}", who.platform(), decision.denyReason(), decision.rule());
      observer.denied(attestation.type(), decision.denyReason());
      throw new TaskException(ProblemType.POLICY_DENIED, denialDetail(decision));
    }
    lifetime(requestedTtl, decision.ttlCap(), decision.rule());
    Objects.requireNonNull(who.use(), "an attestor must say what makes its attestation single use");
    TaskPlan plan =
        new TaskPlan(
            newTaskId(), attestation.type(), who.context(), who.attestationSha256(), decision.spiffeId(), decision.rule(),
            decision.policyVersion(), decision.ttlCap(), decision.downstreamAudiences(), decision.maxExchanges(), taskKey,
            audiences, requestedTtl);
    if (decision.approval() != null) {
      if (!mayWait) {
        throw new TaskException(
            ProblemType.POLICY_DENIED,
            "rule '" + decision.rule() + "' needs approval by " + decision.approval().group() + "; begin over the HTTP API to wait for it");
      }
      return new Started(null, approvals().request(plan, decision.approval(), who.use()));
    }
    BeginTaskResponse begun =
        issue(
            plan,
            (task, records, grant, now, evidence) -> store.insertTask(task, records, grant, who.use(), now, evidence),
            () -> {
              observer.attestationFailed(attestation.type(), TaskObserver.AttestationFailure.REPLAYED);
              return new TaskException(ProblemType.ATTESTATION_FAILED, "the attestation is unknown, expired or was already used");
            });
    return new Started(begun, null);
  }

  /**
   * Everything a task needs once policy allowed it: decided at begin, kept with an approval request until it is
   * approved. {@code attestationSha256} is the hex digest logged in {@code task.begun}.
   */
  record TaskPlan(
      String taskId,
      String attestor,
      Map<String, String> context,
      String attestationSha256,
      SpiffeId spiffeId,
      String rule,
      String policyVersion,
      Duration ttlCap,
      List<String> downstreamAudiences,
      Integer maxExchanges,
      ECKey taskKey,
      List<String> audiences,
      Duration requestedTtl) {}

  /** The store write that records a task with its evidence: a plain begin, or the collection of an approval. */
  @FunctionalInterface
  interface TaskWrite {
    Optional<EvidenceLog.Appending> record(
        TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant, Instant now,
        Write<EvidenceLog.Appending> evidence);
  }

  /** The task's lifetime from now: the request (or the default) capped by policy and {@code ttl.task_max}. */
  private Duration lifetime(Duration requestedTtl, Duration ttlCap, String rule) {
    Duration lifetime = min(requestedTtl != null ? requestedTtl : config.ttl().taskDefault(), config.ttl().taskMax());
    if (ttlCap != null) {
      lifetime = min(lifetime, ttlCap);
    }
    if (lifetime.compareTo(MIN_CREDENTIAL_LIFETIME) < 0) {
      throw new TaskException(
          ProblemType.POLICY_DENIED,
          "rule '" + rule + "' and ttl.task_max leave the task " + lifetime.toMillis() + "ms, less than the "
              + HumanDuration.format(MIN_CREDENTIAL_LIFETIME) + " its credentials need");
    }
    return lifetime;
  }

  /**
   * Mints the task's credentials and records the task through {@code write}; the credentials leave only once the
   * task and its evidence are durable. {@code refused} is thrown when {@code write} wrote nothing.
   */
  BeginTaskResponse issue(TaskPlan plan, TaskWrite write, Supplier<TaskException> refused) {
    try (TaskLogFields fields = TaskLogFields.of(plan.taskId(), plan.spiffeId().toString())) {
      return issueAs(plan, write, refused);
    }
  }

  private BeginTaskResponse issueAs(TaskPlan plan, TaskWrite write, Supplier<TaskException> refused) {
    Instant now = clock.instant();
    Instant expiresAt = now.plus(lifetime(plan.requestedTtl(), plan.ttlCap(), plan.rule()));
    String taskId = plan.taskId();
    ECKey taskKey = plan.taskKey();
    Minted minted = mint(taskId, plan.spiffeId(), taskKey, plan.audiences(), plan.context(), now, expiresAt);
    String controlToken = ControlTokens.create(taskId, random);
    String jwk = taskKey.toPublicJWK().toJSONString();
    TaskRecord task =
        new TaskRecord(
            taskId,
            TaskState.ACTIVE,
            plan.spiffeId().toString(),
            plan.attestor(),
            plan.context(),
            plan.rule(),
            plan.policyVersion(),
            jwk,
            thumbprint(taskKey),
            sha256Hex(controlToken),
            plan.audiences(),
            now,
            expiresAt,
            now,
            null,
            null,
            null);
    Optional<EvidenceLog.Appending> logged;
    try {
      // One write: the attestation is spent (or the approved request marked issued), the task, its exchange grant
      // (the decision's downstream audiences and limit, enforced by exchange later) and credentials are inserted,
      // and task.begun + credential.issued are appended to the evidence log, all in one durable commit. Every
      // refusal before this line leaves the attestation usable; a failure here writes nothing.
      logged =
          write.record(
              task, minted.records(), ExchangeGrant.of(taskId, plan.downstreamAudiences(), plan.maxExchanges()), now,
              requireEvidence().begun(task, plan.attestationSha256(), minted.records()));
    } catch (StoreException | EvidenceException e) {
      // Fail closed: nothing leaves the issuer that the store and the evidence log have not durably recorded.
      LOG.error("task {} not recorded, credentials withheld: {}", taskId, e.getMessage());
      throw new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the issuer could not record the task and its evidence; retry later", e);
    }
    if (logged.isEmpty()) {
      throw refused.get();
    }
    EvidenceRef evidenceRef = TaskEvidence.ref(logged.get().appended());
    LOG.info("task begun: id={} spiffe_id={} rule={} expires_at={}", taskId, task.spiffeId(), plan.rule(), expiresAt);
    observer.begun(task, minted.records());
    return new BeginTaskResponse(
        taskId,
        task.spiffeId(),
        expiresAt,
        minted.renewAfter(),
        minted.x509().chainPem(),
        minted.jwtCredentials(),
        bundlePem.get(),
        controlToken,
        evidenceRef);
  }

  // ---- renew -----------------------------------------------------------------------------------------------

  public RenewTaskResponse renew(String taskId, String controlToken) {
    TaskRecord task = authorize(taskId, controlToken);
    try (TaskLogFields fields = TaskLogFields.of(taskId, task.spiffeId())) {
      return renew(task);
    }
  }

  private RenewTaskResponse renew(TaskRecord task) {
    String taskId = task.taskId();
    Instant now = clock.instant();
    if (!task.active()) {
      throw new TaskException(ProblemType.TASK_NOT_ACTIVE, "task " + taskId + " has ended (" + task.outcome().wire() + ")");
    }
    if (Duration.between(now, task.expiresAt()).compareTo(MIN_CREDENTIAL_LIFETIME) < 0) {
      throw new TaskException(
          ProblemType.TASK_NOT_ACTIVE,
          "task " + taskId + " is at the end of its lifetime (expires_at " + task.expiresAt()
              + "): too little is left for fresh credentials; it cannot be renewed any more");
    }
    ECKey taskKey;
    try {
      taskKey = ECKey.parse(task.publicKeyJwk());
    } catch (ParseException e) {
      throw new IllegalStateException("stored task key does not parse", e);
    }
    Minted minted =
        mint(taskId, SpiffeId.parse(task.spiffeId()), taskKey, task.audiences(), task.context(), now, task.expiresAt());
    boolean recorded;
    try {
      recorded = store.recordRenewal(taskId, now, minted.records());
    } catch (StoreException e) {
      throw new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the issuer could not record the renewal; retry later", e);
    }
    if (!recorded) {
      // Ended between our read and our write: the fresh SVIDs are discarded, never returned.
      throw new TaskException(ProblemType.TASK_NOT_ACTIVE, "task " + taskId + " has ended");
    }
    EvidenceRef logged;
    try {
      logged = requireEvidence().renewed(task, now, minted.records());
    } catch (RuntimeException e) {
      // The new SVIDs are recorded but never released; the task's end revokes them with the rest.
      LOG.error("evidence of renewal of {} not committed, credentials withheld: {}", taskId, e.getMessage());
      throw new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the issuer could not record evidence; retry later", e);
    }
    observer.renewed(taskId, minted.records());
    return new RenewTaskResponse(
        taskId,
        task.spiffeId(),
        task.expiresAt(),
        minted.renewAfter(),
        minted.x509().chainPem(),
        minted.jwtCredentials(),
        bundlePem.get(),
        logged);
  }

  // ---- end -------------------------------------------------------------------------------------------------

  public EndTaskResponse end(String taskId, String controlToken, EndTaskRequest request) {
    if (request == null || blank(request.outcome())) {
      throw new TaskException(ProblemType.INVALID_OUTCOME, "outcome is required: succeeded, failed, aborted or timed_out");
    }
    TaskOutcome outcome = TaskOutcome.fromWire(request.outcome());
    if (outcome == null || !outcome.reportableByClient()) {
      throw new TaskException(
          ProblemType.INVALID_OUTCOME, "outcome must be succeeded, failed, aborted or timed_out");
    }
    String reason = request.reason();
    if (reason != null && reason.length() > 1024) {
      throw malformed("reason is longer than 1024 characters");
    }
    authorize(taskId, controlToken);
    return endTask(taskId, outcome, reason);
  }

  /** Ends a task without its control token: operators and the reaper. */
  public EndTaskResponse endAsOperator(String taskId, TaskOutcome outcome, String reason) {
    if (!validTaskId(taskId) || store.findTask(taskId).isEmpty()) {
      throw new TaskException(ProblemType.NOT_FOUND, "no task " + taskId);
    }
    return endTask(taskId, outcome, reason);
  }

  private EndTaskResponse endTask(String taskId, TaskOutcome outcome, String reason) {
    try (TaskLogFields fields = TaskLogFields.of(taskId, null)) {
      return endTaskAs(taskId, outcome, reason);
    }
  }

  private EndTaskResponse endTaskAs(String taskId, TaskOutcome outcome, String reason) {
    // The store keeps milliseconds; compare like with like when telling our end from an earlier one.
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Store.Ending<TaskEvidence.EndLogged> ending;
    if (evidence == null) {
      ending = endInOneWrite(taskId, outcome, reason, now, TaskLifecycle::endAlone);
    } else {
      try {
        // One write: the end, its revocations, task.ended + credential.revoked and the signed receipt kept with the
        // task commit together.
        ending = endInOneWrite(taskId, outcome, reason, now, evidence::ending);
      } catch (TaskException e) {
        if (!(e.getCause() instanceof EvidenceException)) {
          throw e;
        }
        // The end must stand even when the log refuses its evidence (a store failure would fail a lone end too):
        // end alone; the receipt is then logged below or by the next pass over ends without one.
        LOG.warn("end of {} with its evidence failed ({}); ending it alone", taskId, e.getCause().getMessage());
        ending = endInOneWrite(taskId, outcome, reason, now, TaskLifecycle::endAlone);
      }
    }
    TaskRecord ended = ending.task();
    TaskLogFields.spiffeId(ended.spiffeId());
    List<RevokedCredential> revoked = new ArrayList<>();
    List<CredentialRecord> revokedRecords = new ArrayList<>();
    for (CredentialRecord c : ending.credentials()) {
      if (c.revokedAt() != null && c.revokedAt().equals(ended.endedAt())) {
        revokedRecords.add(c);
        // The same number the evidence records for this revocation (whole seconds, see CredentialStatus).
        long residual = CredentialStatus.residualExposureSeconds(c.expiresAt().getEpochSecond(), c.revokedAt().getEpochSecond());
        revoked.add(new RevokedCredential(c.kind().wire(), c.credentialId(), c.expiresAt(), c.revokedAt(), residual));
      }
    }
    // Only the call that ended the task notifies; idempotent repeats find an earlier end.
    if (ending.endedNow()) {
      LOG.info("task ended: id={} outcome={} revoked={}", taskId, ended.outcome().wire(), revoked.size());
      for (TaskEndListener listener : endListeners) {
        try {
          listener.taskEnded(ended, List.copyOf(revokedRecords));
        } catch (RuntimeException e) {
          LOG.error("task end listener failed for {}; the end stands", taskId, e);
        }
      }
    }
    TaskEvidence.EndLogged logged = ending.alongside();
    JsonNode receipt =
        logged != null && logged.receipt().isPresent() ? logged.receipt().get() : receipt(ended, revokedRecords);
    return new EndTaskResponse(
        taskId, ended.outcome().wire(), ended.endedAt(), revoked, receipt, issuerUrl + "/evidence/tasks/" + taskId);
  }

  /** What an end without the log writes beside it: nothing. */
  private static Write<TaskEvidence.EndLogged> endAlone(TaskRecord ended, List<CredentialRecord> credentials) {
    return Write.of("nothing alongside", c -> null);
  }

  private <T> Store.Ending<T> endInOneWrite(
      String taskId, TaskOutcome outcome, String reason, Instant now, Store.EndEvidence<T> alongside) {
    try {
      return store
          .endTask(taskId, outcome, reason, now, alongside)
          .orElseThrow(() -> new TaskException(ProblemType.NOT_FOUND, "no task " + taskId));
    } catch (StoreException | EvidenceException e) {
      throw new TaskException(ProblemType.EVIDENCE_UNAVAILABLE, "the issuer could not record the end; retry", e);
    }
  }

  /**
   * The receipt of an end: the one kept with the task, else (first end, or a repeat after the log was down) the
   * end is logged now. The end itself stands either way; without the log the caller is told to retry.
   */
  private JsonNode receipt(TaskRecord ended, List<CredentialRecord> revoked) {
    Optional<String> kept = store.endReceipt(ended.taskId());
    if (kept.isPresent()) {
      return TaskEvidence.parse(kept.get());
    }
    if (evidence == null) {
      return null;
    }
    try {
      return evidence.ended(ended, revoked);
    } catch (RuntimeException e) {
      LOG.error("end of {} committed, its evidence not yet: {}", ended.taskId(), e.getMessage());
      throw new TaskException(
          ProblemType.EVIDENCE_UNAVAILABLE,
          "task " + ended.taskId() + " has ended and its credentials are revoked; the evidence log is unavailable, retry end for the receipt",
          e);
    }
  }

  /**
   * Logs the end evidence of tasks ended without it (by an operator command against the store, or a crash between
   * commit and log). Returns how many were logged.
   */
  public int logPendingEnds(int limit) {
    if (evidence == null) {
      return 0;
    }
    int logged = 0;
    for (TaskRecord t : store.endedWithoutReceipt(limit)) {
      List<CredentialRecord> revoked =
          store.credentialsOf(t.taskId()).stream().filter(c -> t.endedAt().equals(c.revokedAt())).toList();
      evidence.ended(t, revoked);
      logged++;
    }
    return logged;
  }

  private TaskEvidence requireEvidence() {
    if (evidence == null) {
      throw new IllegalStateException("this task lifecycle has no evidence log and cannot issue credentials");
    }
    return evidence;
  }

  // ---- read ------------------------------------------------------------------------------------------------

  public TaskView view(String taskId, String controlToken) {
    return toView(authorize(taskId, controlToken));
  }

  /** Operator view, without control token. */
  public Optional<TaskView> viewAsOperator(String taskId) {
    return validTaskId(taskId) ? store.findTask(taskId).map(this::toView) : Optional.empty();
  }

  public List<TaskView> list(TaskState state, int limit) {
    return store.listTasks(state, limit).stream().map(this::toView).toList();
  }

  private TaskView toView(TaskRecord t) {
    List<CredentialView> creds =
        store.credentialsOf(t.taskId()).stream()
            .map(c -> new CredentialView(c.kind().wire(), c.credentialId(), c.audience(), c.notBefore(), c.expiresAt(), c.revokedAt()))
            .toList();
    return new TaskView(
        t.taskId(),
        t.state().name().toLowerCase(Locale.ROOT),
        t.outcome() == null ? null : t.outcome().wire(),
        t.spiffeId(),
        t.attestor(),
        t.context(),
        t.createdAt(),
        t.expiresAt(),
        t.lastRenewedAt(),
        t.endedAt(),
        creds);
  }

  // ---- helpers of this class -------------------------------------------------------------------------------

  private record Minted(
      X509SvidIssued x509, List<JwtSvidIssued> jwts, List<CredentialRecord> records, Instant renewAfter) {
    List<JwtSvidCredential> jwtCredentials() {
      return jwts.stream().map(j -> new JwtSvidCredential(j.audience(), j.token(), j.expiresAt())).toList();
    }
  }

  private Minted mint(
      String taskId,
      SpiffeId id,
      ECKey taskKey,
      List<String> audiences,
      Map<String, String> context,
      Instant now,
      Instant taskExpiresAt) {
    ECPublicKey publicKey;
    try {
      publicKey = taskKey.toECPublicKey();
    } catch (JOSEException e) {
      throw new TaskException(ProblemType.INVALID_KEY, "public_key is not a usable EC key");
    }
    Instant x509NotAfter = earliest(now.plus(config.ttl().x509Svid()), taskExpiresAt);
    X509SvidIssued x509 = x509Minter.mint(id, publicKey, x509NotAfter);
    Instant jwtNotAfter = earliest(now.plus(config.ttl().jwtSvid()), taskExpiresAt);
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("task_id", taskId);
    facts.putAll(context);
    List<JwtSvidIssued> jwts = new ArrayList<>();
    List<CredentialRecord> records = new ArrayList<>();
    records.add(
        new CredentialRecord(taskId, CredentialKind.X509_SVID, x509.serialHex(), null, x509.notBefore(), x509.notAfter(), null));
    Instant soonest = x509.notAfter();
    for (String audience : audiences) {
      JwtSvidIssued jwt = jwtMinter.mint(id, audience, jwtNotAfter, facts);
      jwts.add(jwt);
      records.add(new CredentialRecord(taskId, CredentialKind.JWT_SVID, jwt.jti(), audience, jwt.issuedAt(), jwt.expiresAt(), null));
      soonest = earliest(soonest, jwt.expiresAt());
    }
    return new Minted(x509, jwts, records, renewAfter(now, soonest, taskExpiresAt));
  }

  /**
   * Half-life of the shortest-lived credential, so a slow renewal never leaves the step without one, and at most
   * {@code ttl.renew_interval} apart, since each renewal is also the task's heartbeat. When the credentials already
   * last to the task's end and less than {@code RENEWAL_FLOOR} would be left, {@code taskExpiresAt}: no further
   * renewal (else the halving mints a burst of SVIDs in the task's last seconds).
   */
  private Instant renewAfter(Instant now, Instant soonest, Instant taskExpiresAt) {
    Instant renewAfter = now.plus(min(Duration.between(now, soonest).dividedBy(2), config.ttl().renewInterval()));
    // JWT-SVID times are whole seconds: one capped at the task's end expires up to a second before it.
    boolean lastsToTheEnd = !soonest.isBefore(taskExpiresAt.truncatedTo(ChronoUnit.SECONDS));
    if (lastsToTheEnd && Duration.between(renewAfter, taskExpiresAt).compareTo(IssuerConfig.Ttl.RENEWAL_FLOOR) < 0) {
      return taskExpiresAt;
    }
    return renewAfter;
  }

  private TaskRecord authorize(String taskId, String controlToken) {
    if (!validTaskId(taskId)) {
      throw new TaskException(ProblemType.NOT_FOUND, "no task " + sanitize(taskId));
    }
    TaskRecord task =
        store.findTask(taskId).orElseThrow(() -> new TaskException(ProblemType.NOT_FOUND, "no task " + taskId));
    if (controlToken == null || controlToken.isEmpty()) {
      throw new TaskException(ProblemType.UNAUTHORIZED, "the task's control token is required (Authorization: Bearer)");
    }
    if (!ControlTokens.matches(controlToken, task.controlTokenSha256())) {
      throw new TaskException(ProblemType.UNAUTHORIZED, "the control token does not match task " + taskId);
    }
    return task;
  }

  private static ECKey parseTaskKey(Map<String, Object> jwk) {
    if (jwk == null || jwk.isEmpty()) {
      throw new TaskException(ProblemType.INVALID_KEY, "public_key (a P-256 EC JWK) is required");
    }
    JWK parsed;
    try {
      parsed = JWK.parse(jwk);
    } catch (ParseException | RuntimeException e) {
      throw new TaskException(ProblemType.INVALID_KEY, "public_key is not a valid JWK: " + safeMessage(e));
    }
    if (!(parsed instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
      throw new TaskException(ProblemType.INVALID_KEY, "public_key must be an EC key on curve P-256");
    }
    if (ec.isPrivate()) {
      // The issuer never sees a task private key; refuse one rather than quietly discard it.
      throw new TaskException(ProblemType.INVALID_KEY, "public_key must not contain private key material");
    }
    // Nimbus checks the point mod p only: x or y >= p passes it, then a crypto provider throws at first use.
    BigInteger p = ((ECFieldFp) Curve.P_256.toECParameterSpec().getCurve().getField()).getP();
    if (ec.getX().decodeToBigInteger().compareTo(p) >= 0 || ec.getY().decodeToBigInteger().compareTo(p) >= 0) {
      throw new TaskException(ProblemType.INVALID_KEY, "public_key coordinates must be less than the field prime");
    }
    try {
      ec.toECPublicKey();
    } catch (JOSEException | RuntimeException e) {
      throw new TaskException(ProblemType.INVALID_KEY, "public_key is not a usable EC key");
    }
    return ec;
  }

  private static List<String> audiences(List<String> requested) {
    if (requested == null) {
      return List.of();
    }
    if (requested.size() > MAX_AUDIENCES) {
      throw malformed("at most " + MAX_AUDIENCES + " audiences");
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String a : requested) {
      if (blank(a) || a.length() > MAX_AUDIENCE_LENGTH || a.chars().anyMatch(Character::isISOControl)) {
        throw malformed("each audience must be a non-empty string of at most " + MAX_AUDIENCE_LENGTH + " printable characters");
      }
      out.add(a);
    }
    return List.copyOf(out);
  }

  private static Duration ttl(String ttl) {
    if (ttl == null) {
      return null;
    }
    Duration parsed;
    try {
      parsed = HumanDuration.parse(ttl);
    } catch (IllegalArgumentException e) {
      throw malformed("ttl: " + e.getMessage());
    }
    if (parsed.compareTo(MIN_CREDENTIAL_LIFETIME) < 0) {
      throw malformed("ttl must be at least " + HumanDuration.format(MIN_CREDENTIAL_LIFETIME));
    }
    return parsed;
  }

  private static String denialDetail(Decision d) {
    String reason = d.denyReason() == null ? Decision.NO_RULE_MATCHED : d.denyReason();
    String text =
        switch (reason) {
          case Decision.NO_RULE_MATCHED -> "no policy rule matched";
          case Decision.CONDITION_FALSE -> "the condition of rule '" + d.rule() + "' is false";
          case Decision.AUDIENCE_NOT_ALLOWED -> "audience not allowed by rule '" + d.rule() + "'";
          default -> "policy evaluation failed";
        };
    return text + " [" + reason + "]" + (d.detail() == null ? "" : ": " + d.detail());
  }

  /**
   * {@code tsk_} + 128 bits in base32: the creation time in milliseconds (48 bits), then 80 random bits. Ids made
   * close in time share a prefix, so a batch of begins touches a few pages of each index on task ids (tasks,
   * credentials, grants, evidence) instead of one random page per task in each.
   */
  private String newTaskId() {
    return "tsk_" + Base32.encode(TimeOrderedId.next(clock.millis(), random));
  }

  static boolean validTaskId(String taskId) {
    return taskId != null && TASK_ID.matcher(taskId).matches();
  }

  static String thumbprint(ECKey key) {
    try {
      return key.computeThumbprint().toString();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sanitize(String s) {
    if (s == null) {
      return "";
    }
    String cut = s.length() > 40 ? s.substring(0, 40) + "…" : s;
    return cut.replaceAll("[^A-Za-z0-9_.-]", "?");
  }

  private static String safeMessage(Exception e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : (m.length() > 200 ? m.substring(0, 200) : m);
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static TaskException malformed(String detail) {
    return new TaskException(ProblemType.MALFORMED_REQUEST, detail);
  }

  /** Lower-case RFC 4648 base32 without padding: task ids that are safe in paths and file names. */
  public static final class Base32 {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private Base32() {}

    public static String encode(byte[] data) {
      StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
      int buffer = 0;
      int bits = 0;
      for (byte b : data) {
        buffer = (buffer << 8) | (b & 0xff);
        bits += 8;
        while (bits >= 5) {
          out.append(ALPHABET[(buffer >> (bits - 5)) & 31]);
          bits -= 5;
        }
      }
      if (bits > 0) {
        out.append(ALPHABET[(buffer << (5 - bits)) & 31]);
      }
      return out.toString();
    }
  }
}
