package dev.taskbound.jenkins;

import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.ApprovalWait;
import dev.taskbound.client.Backoff;
import dev.taskbound.client.ConsoleMasker;
import dev.taskbound.client.DownstreamToken;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.IssuerTls;
import dev.taskbound.client.KeyOffer;
import dev.taskbound.client.StepCredentials;
import dev.taskbound.client.StepEnding;
import dev.taskbound.client.StepAgent;
import dev.taskbound.client.StepIdentity;
import dev.taskbound.client.SvidFiles;
import dev.taskbound.client.WrittenFiles;
import dev.taskbound.client.jenkins.RunStatement;
import dev.taskbound.client.jenkins.RunStatementSigner;
import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.AbortException;
import hudson.EnvVars;
import hudson.Extension;
import hudson.FilePath;
import hudson.Util;
import hudson.console.ConsoleLogFilter;
import hudson.console.LineTransformationOutputStream;
import hudson.model.AbstractBuild;
import hudson.model.Cause;
import hudson.model.Computer;
import hudson.model.Descriptor;
import hudson.model.Result;
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.slaves.WorkspaceList;
import hudson.util.FormValidation;
import hudson.util.ListBoxModel;
import hudson.util.Secret;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.CauseOfInterruption;
import jenkins.model.Jenkins;
import jenkins.util.Timer;
import net.sf.json.JSONObject;
import org.jenkinsci.Symbol;
import org.jenkinsci.plugins.workflow.graph.FlowNode;
import org.jenkinsci.plugins.workflow.steps.BodyExecution;
import org.jenkinsci.plugins.workflow.steps.BodyExecutionCallback;
import org.jenkinsci.plugins.workflow.steps.BodyInvoker;
import org.jenkinsci.plugins.workflow.steps.EnvironmentExpander;
import org.jenkinsci.plugins.workflow.steps.FlowInterruptedException;
import org.jenkinsci.plugins.workflow.steps.GeneralNonBlockingStepExecution;
import org.jenkinsci.plugins.workflow.steps.Step;
import org.jenkinsci.plugins.workflow.steps.StepContext;
import org.jenkinsci.plugins.workflow.steps.StepDescriptor;
import org.jenkinsci.plugins.workflow.steps.StepExecution;
import org.kohsuke.stapler.DataBoundConstructor;
import org.kohsuke.stapler.DataBoundSetter;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.StaplerRequest2;

/**
 * {@code withTaskIdentity(audiences: ['sts.amazonaws.com'], ttl: '15m') { … }}: the block gets a SPIFFE identity of
 * its own — key generated on the agent, credentials in a private directory there, renewed while the block runs —
 * and loses it when the block ends, however it ends. The controller signs the run statement and holds the control
 * token; the agent holds the key and the files.
 */
public final class WithTaskIdentityStep extends Step {
  /** What the block does when its task's lifetime runs out before it ends. */
  public enum OnExpiry {
    /** Stop the block and fail the step: its credentials no longer work. */
    FAIL,
    /** Warn in the console and let the block go on without working credentials. */
    WARN
  }

  private List<String> audiences = new ArrayList<>();
  private List<String> exchange = new ArrayList<>();
  private String ttl;
  private String tokenVariable;
  private String awsRoleArn;
  private OnExpiry onExpiry = OnExpiry.FAIL;

  @DataBoundConstructor
  public WithTaskIdentityStep() {}

  public List<String> getAudiences() {
    return Collections.unmodifiableList(audiences);
  }

  /** For the snippet generator's form: one audience per line. */
  public String getAudiencesText() {
    return String.join("\n", audiences);
  }

  /** JWT-SVID audiences; the first one's token is also {@code jwt_svid.token}. */
  @DataBoundSetter
  public void setAudiences(List<String> audiences) {
    this.audiences = cleanList(audiences);
  }

  public List<String> getExchange() {
    return Collections.unmodifiableList(exchange);
  }

  /** For the snippet generator's form: one audience per line. */
  public String getExchangeText() {
    return String.join("\n", exchange);
  }

  /**
   * Downstream audiences (RFC 8693 token exchange at the issuer): one OIDC token per audience, in
   * {@code downstream.<audience>.token}, refreshed on renewal, revoked with the task. {@code sts.amazonaws.com} also
   * sets {@code AWS_WEB_IDENTITY_TOKEN_FILE}.
   */
  @DataBoundSetter
  public void setExchange(List<String> exchange) {
    this.exchange = cleanList(exchange);
  }

  @CheckForNull
  public String getAwsRoleArn() {
    return awsRoleArn;
  }

  /** Optional: {@code AWS_ROLE_ARN} for the block, so AWS SDKs assume it with the exchanged web-identity token. */
  @DataBoundSetter
  public void setAwsRoleArn(String awsRoleArn) {
    this.awsRoleArn = Util.fixEmptyAndTrim(awsRoleArn);
  }

  public String getOnExpiry() {
    return onExpiry.name().toLowerCase(Locale.ROOT);
  }

  /** {@code fail} (default): the block is stopped when its task's lifetime runs out; {@code warn}: a warning only. */
  @DataBoundSetter
  public void setOnExpiry(String onExpiry) {
    String v = Util.fixEmptyAndTrim(onExpiry);
    try {
      this.onExpiry = v == null ? OnExpiry.FAIL : OnExpiry.valueOf(v.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("onExpiry must be 'fail' or 'warn', not '" + v + "'");
    }
  }

  private static List<String> cleanList(@CheckForNull List<String> values) {
    List<String> clean = new ArrayList<>();
    if (values != null) {
      for (String a : values) {
        String aud = Util.fixEmptyAndTrim(a);
        if (aud != null && !clean.contains(aud)) {
          clean.add(aud);
        }
      }
    }
    return clean;
  }

  @CheckForNull
  public String getTtl() {
    return ttl;
  }

  /** Requested lifetime ({@code 15m}, {@code 1h}, {@code PT30M}); the issuer's policy caps it. */
  @DataBoundSetter
  public void setTtl(String ttl) {
    this.ttl = Util.fixEmptyAndTrim(ttl);
  }

  @CheckForNull
  public String getTokenVariable() {
    return tokenVariable;
  }

  /**
   * Optional: a variable that holds the first audience's JWT-SVID as issued at block start (masked). Files are
   * better: they are replaced on every renewal, a variable is not.
   */
  @DataBoundSetter
  public void setTokenVariable(String tokenVariable) {
    this.tokenVariable = Util.fixEmptyAndTrim(tokenVariable);
  }

  @Override
  public StepExecution start(StepContext context) {
    return new Execution(this, context);
  }

  /**
   * Begins the task off the CPS VM thread, runs the body, ends the task in {@link Callback}. Its fields are the
   * state a restarted controller needs to renew or end the task; the control token is encrypted ({@link Secret}).
   * Ends run on {@link #ENDS}, threads no build interrupt reaches, and are recorded in {@link TaskRegistry} first.
   */
  static final class Execution extends GeneralNonBlockingStepExecution {
    private static final long serialVersionUID = 1L;
    private static final Logger LOGGER = Logger.getLogger(WithTaskIdentityStep.class.getName());
    /** The {@code timeout} step's cause (workflow-basic-steps); by name, so this plugin does not depend on it. */
    static final String TIMEOUT_CAUSE = "org.jenkinsci.plugins.workflow.steps.TimeoutStepExecution$ExceededTimeout";
    private static final Backoff RENEW_BACKOFF = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(30));
    /** Warn this long before the lifetime ends (or a quarter of a shorter lifetime). */
    private static final Duration LIFETIME_WARNING = Duration.ofSeconds(60);
    /** Ends in flight, by task id: a second stop waits for the same end instead of starting or skipping one. */
    private static final ConcurrentHashMap<String, CompletableFuture<StepEnding>> ENDING = new ConcurrentHashMap<>();
    private static final ExecutorService ENDS = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "Taskbound task end");
      t.setDaemon(true);
      return t;
    });

    private final transient WithTaskIdentityStep step;

    private String issuerUrl;
    private String taskId;
    private String spiffeId;
    private Secret controlToken;
    private String directory;
    private String node;
    private long begunAtMillis;
    private long expiresAtMillis;
    private boolean bodyStarted;
    /** Set when ending starts, so a restart in the middle of it ends again (end is idempotent). */
    private String endingOutcome;
    private String endingReason;
    /** Set only once the issuer answered the end. */
    private boolean ended;
    private int failedRenewals;
    private OnExpiry onExpiry = OnExpiry.FAIL;
    /** Downstream audience → when its token is due for a refresh (epoch ms). */
    private HashMap<String, Long> downstreamRefreshAt = new HashMap<>();
    /** The approval request the step waits for, until its task is issued (withdrawn if a restart ends the wait). */
    private String approvalId;
    private Secret approvalToken;

    private transient volatile ScheduledFuture<?> renewal;
    private transient volatile ScheduledFuture<?> lifetimeWarning;
    private transient volatile ScheduledFuture<?> lifetimeEnd;
    private transient volatile BodyExecution body;

    Execution(WithTaskIdentityStep step, StepContext context) {
      super(context);
      this.step = step;
      this.onExpiry = step.onExpiry;
    }

    /** Whether this controller is ending {@code taskId} right now. */
    static boolean isEnding(String taskId) {
      return ENDING.containsKey(taskId);
    }

    @Override
    public boolean start() {
      run(this::begin);
      return false;
    }

    private void begin() throws Exception {
      StepContext ctx = getContext();
      Run<?, ?> run = ctx.get(Run.class);
      TaskListener listener = ctx.get(TaskListener.class);
      FilePath workspace = ctx.get(FilePath.class);
      FlowNode flowNode = ctx.get(FlowNode.class);
      EnvVars env = ctx.get(EnvVars.class);
      Computer computer = ctx.get(Computer.class);

      TaskboundConfiguration config = TaskboundConfiguration.get();
      RunStatementSigner signer = config.signer();
      StepIdentity identity = config.stepIdentity();
      RunStatement facts = runFacts(run, flowNode, computer, env);
      String nodeName = StaleTaskDirectories.nodeName(computer);
      TaskRegistry registry = TaskRegistry.get();
      ReservingAgent agent = new ReservingAgent(agentFiles(workspace), registry, nodeName, run.getExternalizableId());
      // A reused workspace may hold directories of steps that died with their agent: delete their keys first.
      List<String> swept = StaleTaskDirectories.sweep(nodeName, agent.files.tempDir());
      if (!swept.isEmpty()) {
        listener.getLogger().println("Taskbound: deleted " + swept.size() + " stale task directories in this workspace");
      }
      StepCredentials creds;
      // Under a rule with approval: the console says who must approve and where; this (background) thread waits,
      // long-polling; an abort interrupts it, which withdraws the request.
      ApprovalWait approval =
          new ApprovalWait(identity.client(), ApprovalWait.DEFAULT_POLL, a -> waiting(listener, identity.issuerUrl(), a), Clock.systemUTC());
      try {
        creds = identity.begin(signer.attest(facts), agent, null, step.audiences, step.ttl, step.exchange, approval);
      } catch (IssuerException e) {
        agent.releaseQuietly(e);
        throw approvalProblem(e);
      } catch (Exception | Error e) {
        agent.releaseQuietly(e);
        throw e;
      } finally {
        synchronized (this) {
          approvalId = null;
          approvalToken = null;
        }
      }
      registry.begun(creds.written().directory(), creds.taskId(), identity.issuerUrl(), creds.controlToken());
      synchronized (this) {
        issuerUrl = identity.issuerUrl();
        taskId = creds.taskId();
        spiffeId = creds.spiffeId();
        controlToken = Secret.fromString(creds.controlToken());
        directory = creds.written().directory();
        node = nodeName;
        begunAtMillis = System.currentTimeMillis();
        expiresAtMillis = creds.expiresAt().toEpochMilli();
        noteDownstream(creds.downstream());
      }
      try {
        listener.getLogger().println("Taskbound: " + spiffeId + " (task " + taskId + ") until " + creds.expiresAt()
            + "; credentials in " + directory
            + (creds.downstream().isEmpty() ? "" : "; downstream tokens for " + String.join(", ", creds.written().downstreamFiles().keySet())));
        TaskIdentityAction.of(run).begun(new TaskIdentityAction.Task(
            taskId, spiffeId, facts.flowNodeId(), facts.node(), step.audiences, Instant.now(), creds.expiresAt()));
        scheduleRenewal(creds.renewAfter().toEpochMilli());
        watchLifetime();

        Map<String, String> variables = new LinkedHashMap<>(creds.written().environment(issuerUrl, taskId, spiffeId));
        if (step.awsRoleArn != null) {
          variables.put("AWS_ROLE_ARN", step.awsRoleArn);
        }
        Map<String, String> secretVariables = new LinkedHashMap<>();
        if (step.tokenVariable != null && !creds.svids().jwtSvids().isEmpty()) {
          secretVariables.put(step.tokenVariable, creds.svids().jwtSvids().get(0).token());
        }
        synchronized (this) {
          bodyStarted = true;
        }
        body = ctx.newBodyInvoker()
            .withContext(EnvironmentExpander.merge(ctx.get(EnvironmentExpander.class), new Expander(variables, secretVariables)))
            .withContext(BodyInvoker.mergeConsoleLogFilters(
                ctx.get(ConsoleLogFilter.class), new MaskingFilter(creds.secretsToMask(), run.getCharset().name())))
            .withCallback(new Callback())
            .start();
      } catch (Exception | Error e) {
        // The task exists but the body never ran: take the credentials back before reporting.
        try {
          finish(ctx, TaskOutcome.FAILED, "the step could not start its body");
        } catch (Exception x) {
          e.addSuppressed(x);
        }
        throw e;
      }
    }

    /** Console line and remembered request (withdrawn after a restart) when the task waits for approvers. */
    private void waiting(TaskListener listener, String url, ApprovalView a) {
      synchronized (this) {
        approvalId = a.approvalId();
        approvalToken = Secret.fromString(a.requestToken());
        issuerUrl = url;
      }
      listener.getLogger().println("Taskbound: " + ApprovalWait.waitingLine(a));
    }

    /** Denied, expired, withdrawn: the step fails with the issuer's reason, without a stack trace. */
    private static Exception approvalProblem(IssuerException e) {
      String type = e.problem() == null || e.problem().type() == null ? "" : e.problem().type();
      if (type.endsWith("/approval-denied") || type.endsWith("/approval-expired") || type.endsWith("/approval-withdrawn")
          || type.endsWith("/approval-pending")) {
        return new AbortException("Taskbound: no task identity: " + e.getMessage());
      }
      return e;
    }

    private synchronized void noteDownstream(List<DownstreamToken> tokens) {
      for (DownstreamToken t : tokens) {
        downstreamRefreshAt.put(t.audience(), t.refreshAt().toEpochMilli());
      }
    }

    /**
     * Ends the task and wipes the agent files, reporting what the issuer answered. The end itself runs on
     * {@link #ENDS}: an interrupt of this thread (a second abort, a deleted job) stops the waiting, never the end.
     * Repeat calls wait for the end in flight, or do nothing once the issuer answered.
     */
    private void finish(StepContext ctx, TaskOutcome outcome, String reason) throws Exception {
      CompletableFuture<StepEnding> ending;
      String id;
      synchronized (this) {
        if (taskId == null || ended) {
          return;
        }
        id = taskId;
        if (endingOutcome == null) {
          endingOutcome = outcome.wire();
          endingReason = reason;
        }
        cancelTimers();
      }
      TaskRegistry.get().ending(id, endingOutcome, endingReason);
      ending = ENDING.computeIfAbsent(id, k -> CompletableFuture.supplyAsync(this::endAtIssuer, ENDS));
      CompletableFuture<StepEnding> inFlight = ending;
      ending.whenComplete((result, failure) -> ENDING.remove(id, inFlight));
      StepEnding done;
      try {
        done = ending.get();
      } catch (InterruptedException e) {
        log("Taskbound: interrupted while ending task " + id + "; the end goes on in the background");
        throw e;
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
      }
      report(id, done);
    }

    /** On {@link #ENDS}: end (with the client's bounded retry), wipe, record; an unanswered end stays in the registry. */
    private StepEnding endAtIssuer() {
      String id;
      String token;
      String dir;
      TaskOutcome outcome;
      String reason;
      synchronized (this) {
        id = taskId;
        token = controlToken.getPlainText();
        dir = directory;
        outcome = TaskOutcome.fromWire(endingOutcome);
        reason = endingReason;
      }
      try {
        AgentFiles agent = null;
        try {
          agent = agentFiles(getContext().get(FilePath.class));
        } catch (Exception e) {
          LOGGER.log(Level.FINE, "Taskbound: the agent of task " + id + " is gone; its directory is swept when it returns", e);
        }
        StepEnding ending = identity().finish(id, token, outcome, reason, agent, agent == null ? null : dir);
        if (ending.end().ended()) {
          synchronized (this) {
            ended = true;
          }
          TaskRegistry.get().ended(id);
        } else {
          TaskRegistry.get().endFailed(id, String.valueOf(ending.end().failure() == null ? null : ending.end().failure().getMessage()));
        }
        try {
          Run<?, ?> run = getContext().get(Run.class);
          if (run != null) {
            TaskIdentityAction.of(run).ended(id, outcome.wire(), ending.end());
          }
        } catch (IOException | InterruptedException | RuntimeException e) {
          LOGGER.log(Level.FINE, "Taskbound: cannot record the end of task " + id + " on its build", e);
        }
        return ending;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Console lines for an end, and the step's failure when the task did not end as the block did. */
    private void report(String id, StepEnding ending) throws Exception {
      Exception problem = null;
      if (ending.end().ended()) {
        String issuerOutcome = ending.end().response().outcome();
        log("Taskbound: task " + id + " ended " + issuerOutcome + ": " + ending.end().revokedCount()
            + " credential(s) revoked, residual exposure at most " + ending.end().residualExposure().toSeconds() + " s");
        if (issuerOutcome != null && !issuerOutcome.equals(endingOutcome)) {
          log("Taskbound: WARNING: the block ended " + endingOutcome + ", but the issuer had already ended task " + id + " as "
              + issuerOutcome + describe(issuerOutcome) + ": the block ran without working credentials since then");
          if (TaskOutcome.EXPIRED.wire().equals(issuerOutcome) && onExpiry == OnExpiry.FAIL
              && TaskOutcome.SUCCEEDED.wire().equals(endingOutcome)) {
            problem = new AbortException("Taskbound: task " + id + "'s lifetime ran out before the block ended"
                + " (raise ttl within the policy's max_ttl, or set onExpiry: 'warn')");
          }
        }
      } else {
        String why = ending.end().failure() == null ? "no answer" : ending.end().failure().getMessage();
        problem = new AbortException("Taskbound: task " + id + " could not be ended (" + why + "); the controller retries"
            + " every minute until the issuer answers, and the issuer ends it when its renewals stop");
      }
      if (ending.wipeFailure() != null) {
        problem = collect(problem, new IOException("Taskbound: credential files in " + directory + " could not be deleted", ending.wipeFailure()));
      }
      if (problem != null) {
        throw problem;
      }
    }

    private static String describe(String outcome) {
      if (TaskOutcome.EXPIRED.wire().equals(outcome)) {
        return " (its lifetime ran out)";
      } else if (TaskOutcome.ABANDONED.wire().equals(outcome)) {
        return " (its renewals stopped for longer than the issuer's heartbeat window)";
      } else if (TaskOutcome.REVOKED.wire().equals(outcome)) {
        return " (an operator revoked it)";
      }
      return "";
    }

    /** {@link #finish} from a background thread (stop, resume): logged, never thrown. */
    private void finishInBackground(TaskOutcome outcome, String reason) {
      Timer.get().submit(() -> {
        try {
          finish(getContext(), outcome, reason);
        } catch (Exception e) {
          LOGGER.log(Level.WARNING, "Taskbound: could not end task " + taskId, e);
        }
      });
    }

    @Override
    public void stop(@NonNull Throwable cause) throws Exception {
      super.stop(cause);
      // Stopped before the body ran, or while the tail call could no longer run: end here.
      finishInBackground(outcomeOf(cause), reasonOf(cause));
    }

    @Override
    public void onResume() {
      super.onResume();
      String pendingApproval;
      Secret pendingToken;
      synchronized (this) {
        pendingApproval = approvalId;
        pendingToken = approvalToken;
        approvalId = null;
        approvalToken = null;
      }
      if (pendingApproval != null && pendingToken != null) {
        // The wait died with the controller and the step fails on resume: nobody will collect the task.
        Timer.get().submit(() -> {
          try {
            identity().client().withdraw(pendingApproval, pendingToken.getPlainText());
            log("Taskbound: approval request " + pendingApproval + " withdrawn: the controller restarted while the step waited");
          } catch (RuntimeException e) {
            LOGGER.log(Level.INFO, "Taskbound: could not withdraw approval request " + pendingApproval, e);
          }
        });
      }
      String resumeOutcome;
      boolean running;
      synchronized (this) {
        if (taskId == null || ended) {
          return;
        }
        resumeOutcome = endingOutcome;
        running = bodyStarted;
      }
      if (resumeOutcome != null) {
        finishInBackground(TaskOutcome.fromWire(resumeOutcome), "resumed after a controller restart");
      } else if (!running) {
        finishInBackground(TaskOutcome.ABORTED, "controller restarted before the body started");
      } else {
        // The SVIDs may have lapsed while the controller was down: renew at once.
        scheduleRenewal(System.currentTimeMillis());
        watchLifetime();
      }
    }

    // ---- renewal and lifetime, on the controller's shared timer ------------------------------------------------

    private synchronized void scheduleRenewal(long atMillis) {
      if (ended || endingOutcome != null) {
        return;
      }
      if (atMillis >= expiresAtMillis) {
        return; // the issuer renews nothing past the task's lifetime: the watch below says so when it comes
      }
      long delay = Math.max(0, atMillis - System.currentTimeMillis());
      renewal = Timer.get().schedule(this::renew, delay, TimeUnit.MILLISECONDS);
    }

    private synchronized void watchLifetime() {
      long now = System.currentTimeMillis();
      long warnBefore = Math.min(LIFETIME_WARNING.toMillis(), (expiresAtMillis - begunAtMillis) / 4);
      if (now < expiresAtMillis - warnBefore) {
        lifetimeWarning = Timer.get().schedule(this::lifetimeEnding, expiresAtMillis - warnBefore - now, TimeUnit.MILLISECONDS);
      }
      lifetimeEnd = Timer.get().schedule(this::lifetimeOver, Math.max(0, expiresAtMillis - now), TimeUnit.MILLISECONDS);
    }

    private synchronized void cancelTimers() {
      for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {renewal, lifetimeWarning, lifetimeEnd}) {
        if (f != null) {
          f.cancel(false);
        }
      }
      renewal = null;
      lifetimeWarning = null;
      lifetimeEnd = null;
    }

    private void lifetimeEnding() {
      synchronized (this) {
        if (ended || endingOutcome != null) {
          return;
        }
      }
      log("Taskbound: WARNING: task " + taskId + "'s lifetime ends at " + Instant.ofEpochMilli(expiresAtMillis)
          + " (in " + Math.max(0, (expiresAtMillis - System.currentTimeMillis()) / 1000) + " s); its credentials cannot be renewed past it"
          + (onExpiry == OnExpiry.FAIL ? " and the block is stopped then (onExpiry: 'fail')" : ""));
    }

    private void lifetimeOver() {
      BodyExecution running;
      synchronized (this) {
        if (ended || endingOutcome != null) {
          return;
        }
        running = body;
      }
      log("Taskbound: WARNING: task " + taskId + "'s lifetime ran out at " + Instant.ofEpochMilli(expiresAtMillis)
          + ": its credentials no longer work" + (onExpiry == OnExpiry.FAIL ? "; stopping the block (onExpiry: 'fail')" : " (onExpiry: 'warn')"));
      if (onExpiry == OnExpiry.FAIL && running != null) {
        running.cancel(new FlowInterruptedException(Result.FAILURE, true, new LifetimeRanOut(taskId)));
      }
    }

    private void renew() {
      String id;
      String token;
      String dir;
      List<String> refresh = new ArrayList<>();
      synchronized (this) {
        if (ended || endingOutcome != null) {
          return;
        }
        id = taskId;
        token = controlToken.getPlainText();
        dir = directory;
        long now = System.currentTimeMillis();
        downstreamRefreshAt.forEach((aud, at) -> {
          if (at <= now) {
            refresh.add(aud);
          }
        });
      }
      try {
        StepCredentials fresh = identity().renew(id, token, agentFiles(getContext().get(FilePath.class)), dir, refresh);
        synchronized (this) {
          expiresAtMillis = fresh.expiresAt().toEpochMilli();
          failedRenewals = 0;
        }
        noteDownstream(fresh.downstream());
        fresh.failedExchanges().forEach((aud, why) ->
            log("Taskbound: WARNING: the downstream token for " + aud + " of task " + id + " could not be refreshed (" + why
                + "); the current one stays until it expires"));
        scheduleRenewal(fresh.renewAfter().toEpochMilli());
      } catch (IssuerException e) {
        if (!e.retryable()) {
          log("Taskbound: task " + id + " can no longer be renewed: " + e.getMessage());
          return;
        }
        retryRenewal(id, e);
      } catch (Exception e) {
        retryRenewal(id, e);
      }
    }

    /** Retries after the back-off, never sooner; a retry that could only come after the lifetime is not made. */
    private void retryRenewal(String id, Exception e) {
      long retryAt;
      long expiresAt;
      synchronized (this) {
        failedRenewals++;
        retryAt = System.currentTimeMillis() + RENEW_BACKOFF.delayAfter(failedRenewals).toMillis();
        expiresAt = expiresAtMillis;
      }
      if (retryAt >= expiresAt) {
        log("Taskbound: renewal of task " + id + " failed (" + e.getMessage() + "); no retry fits before its lifetime ends at "
            + Instant.ofEpochMilli(expiresAt));
        return;
      }
      log("Taskbound: renewal of task " + id + " failed (" + e.getMessage() + "); retrying at " + Instant.ofEpochMilli(retryAt));
      scheduleRenewal(retryAt);
    }

    private void log(String line) {
      try {
        getContext().get(TaskListener.class).getLogger().println(line);
      } catch (IOException | InterruptedException | RuntimeException e) {
        LOGGER.log(Level.INFO, line, e);
      }
    }

    private StepIdentity identity() {
      TaskboundConfiguration config = TaskboundConfiguration.get();
      return new StepIdentity(
          new IssuerClient(issuerUrl, IssuerTls.httpClient(config.getTrustedCertificates()), Clock.systemUTC(), Duration.ofSeconds(30)));
    }

    private static AgentFiles agentFiles(@CheckForNull FilePath workspace) throws AbortException {
      FilePath tmp = workspace == null ? null : WorkspaceList.tempDir(workspace);
      if (tmp == null) {
        throw new AbortException("Taskbound: withTaskIdentity needs a workspace on an agent (run it inside node or agent)");
      }
      return new AgentFiles(tmp);
    }

    private static Exception collect(@CheckForNull Exception first, Exception next) {
      if (first == null) {
        return next;
      }
      first.addSuppressed(next);
      return first;
    }

    @Override
    public @NonNull String getStatus() {
      String waitingFor = approvalId;
      if (taskId == null && waitingFor != null) {
        return "waiting for approval of " + waitingFor + "; " + super.getStatus();
      }
      return (taskId == null ? "beginning a task" : "task " + taskId + (ended ? " ended" : " active")) + "; " + super.getStatus();
    }

    /** Runs {@link #finish} off the CPS VM thread with the body's outcome, then completes the step. */
    private final class Callback extends BodyExecutionCallback {
      private static final long serialVersionUID = 1L;

      @Override
      public void onSuccess(StepContext context, Object result) {
        run(() -> {
          try {
            finish(context, TaskOutcome.SUCCEEDED, null);
          } catch (Exception x) {
            context.onFailure(x);
            return;
          }
          context.onSuccess(result);
        });
      }

      @Override
      public void onFailure(StepContext context, Throwable t) {
        run(() -> {
          try {
            finish(context, outcomeOf(t), reasonOf(t));
          } catch (Exception x) {
            t.addSuppressed(x);
          }
          context.onFailure(t);
        });
      }
    }
  }

  /** Why the block was stopped when its task's lifetime ran out ({@code onExpiry: 'fail'}). */
  static final class LifetimeRanOut extends CauseOfInterruption {
    private static final long serialVersionUID = 1L;
    private final String taskId;

    LifetimeRanOut(String taskId) {
      this.taskId = taskId;
    }

    @Override
    public String getShortDescription() {
      return "Taskbound: the lifetime of task " + taskId + " ran out";
    }
  }

  /**
   * {@link AgentFiles} that reserves each new task directory in {@link TaskRegistry} under the node's lock, so a
   * concurrent sweep (a parallel branch in the same workspace, an agent reconnecting) never takes it.
   */
  private static final class ReservingAgent implements StepAgent {
    final AgentFiles files;
    private final TaskRegistry registry;
    private final String node;
    private final String run;
    private String reserved;

    ReservingAgent(AgentFiles files, TaskRegistry registry, String node, String run) {
      this.files = files;
      this.registry = registry;
      this.node = node;
      this.run = run;
    }

    @Override
    public KeyOffer createKey(String parent, String issuerUrl, String attestationSha256) throws IOException, InterruptedException {
      try {
        return registry.withNode(node, () -> {
          KeyOffer offer = files.createKey(parent, issuerUrl, attestationSha256);
          registry.reserve(node, offer.directory(), run);
          reserved = offer.directory();
          return offer;
        });
      } catch (IOException | InterruptedException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(e);
      }
    }

    @Override
    public WrittenFiles write(String directory, SvidFiles svids) throws IOException, InterruptedException {
      return files.write(directory, svids);
    }

    @Override
    public void wipe(String directory) throws IOException, InterruptedException {
      files.wipe(directory);
    }

    @Override
    public String proveForApproval(String directory, String issuerUrl, String approvalId) throws IOException, InterruptedException {
      return files.proveForApproval(directory, issuerUrl, approvalId);
    }

    void releaseQuietly(Throwable failure) {
      if (reserved != null) {
        try {
          registry.release(reserved);
        } catch (IOException e) {
          failure.addSuppressed(e);
        }
      }
    }
  }

  /**
   * Abort → {@code aborted}, the {@code timeout} step → {@code timed_out}, the task's own lifetime running out and
   * anything else → {@code failed}.
   */
  static TaskOutcome outcomeOf(Throwable t) {
    if (t instanceof FlowInterruptedException) {
      for (CauseOfInterruption cause : ((FlowInterruptedException) t).getCauses()) {
        if (Execution.TIMEOUT_CAUSE.equals(cause.getClass().getName())) {
          return TaskOutcome.TIMED_OUT;
        }
        if (cause instanceof LifetimeRanOut) {
          return TaskOutcome.FAILED;
        }
      }
      return TaskOutcome.ABORTED;
    }
    return TaskOutcome.FAILED;
  }

  /** The class of what ended the body, never its message: messages can quote secrets. */
  static String reasonOf(Throwable t) {
    if (t instanceof FlowInterruptedException) {
      List<String> causes = new ArrayList<>();
      for (CauseOfInterruption cause : ((FlowInterruptedException) t).getCauses()) {
        causes.add(cause.getClass().getSimpleName());
      }
      return "interrupted: " + String.join(", ", causes);
    }
    return "body failed: " + t.getClass().getName();
  }

  /** The run statement's facts from what Jenkins knows about the step. */
  static RunStatement runFacts(Run<?, ?> run, FlowNode flowNode, @CheckForNull Computer computer, @CheckForNull EnvVars env) {
    String root = Jenkins.get().getRootUrl();
    List<RunStatement.Cause> causes = new ArrayList<>();
    String triggeringUser = null;
    for (Cause cause : run.getCauses()) {
      if (cause instanceof Cause.UserIdCause) {
        String user = ((Cause.UserIdCause) cause).getUserId();
        causes.add(new RunStatement.Cause("UserIdCause", user));
        if (triggeringUser == null) {
          triggeringUser = user;
        }
      } else {
        String type = cause.getClass().getSimpleName();
        causes.add(new RunStatement.Cause(type.isEmpty() ? cause.getClass().getName() : type, null));
      }
    }
    String node = null;
    if (computer != null) {
      node = computer.getName().isEmpty() ? "built-in" : computer.getName();
    }
    RunStatement.Scm scm = null;
    if (env != null && Util.fixEmpty(env.get("GIT_COMMIT")) != null) {
      String branch = Util.fixEmpty(env.get("BRANCH_NAME"));
      scm = new RunStatement.Scm(env.get("GIT_COMMIT"), env.get("GIT_URL"), branch != null ? branch : env.get("GIT_BRANCH"));
    }
    return new RunStatement(
        run.getParent().getFullName(), run.getNumber(), root == null ? null : root + run.getUrl(), flowNode.getId(), node,
        causes, triggeringUser, scm);
  }

  /** Paths and ids for the body; with {@link #tokenVariable}, one masked token variable. */
  private static final class Expander extends EnvironmentExpander {
    private static final long serialVersionUID = 1L;
    private final HashMap<String, String> variables;
    private final HashMap<String, Secret> secrets = new HashMap<>();

    Expander(Map<String, String> variables, Map<String, String> secretVariables) {
      this.variables = new HashMap<>(variables);
      secretVariables.forEach((k, v) -> secrets.put(k, Secret.fromString(v)));
    }

    @Override
    public void expand(@NonNull EnvVars env) {
      env.overrideAll(variables);
      secrets.forEach((k, v) -> env.override(k, v.getPlainText()));
    }

    @Override
    public @NonNull Set<String> getSensitiveVariables() {
      return Collections.unmodifiableSet(new HashSet<>(secrets.keySet()));
    }
  }

  /** Masks the task's tokens, any JWT and any private key block in the body's console. */
  private static final class MaskingFilter extends ConsoleLogFilter implements Serializable {
    private static final long serialVersionUID = 1L;
    private final ArrayList<Secret> secrets = new ArrayList<>();
    private final String charsetName;

    MaskingFilter(Set<String> secrets, String charsetName) {
      for (String s : secrets) {
        this.secrets.add(Secret.fromString(s));
      }
      this.charsetName = charsetName;
    }

    @SuppressWarnings("rawtypes") // the signature Pipeline calls, as in credentials-binding
    @Override
    public OutputStream decorateLogger(AbstractBuild _ignore, OutputStream logger) {
      List<String> plain = new ArrayList<>();
      for (Secret s : secrets) {
        plain.add(s.getPlainText());
      }
      ConsoleMasker.Lines lines = new ConsoleMasker(plain).lines();
      Charset charset = Charset.forName(charsetName);
      return new LineTransformationOutputStream.Delegating(logger) {
        @Override
        protected void eol(byte[] b, int len) throws IOException {
          out.write(lines.mask(new String(b, 0, len, charset)).getBytes(charset));
        }
      };
    }
  }

  @Extension
  @Symbol("withTaskIdentity")
  public static final class DescriptorImpl extends StepDescriptor {
    @Override
    public String getFunctionName() {
      return "withTaskIdentity";
    }

    @NonNull
    @Override
    public String getDisplayName() {
      return "Give the block a task-scoped SPIFFE identity (Taskbound)";
    }

    @Override
    public boolean takesImplicitBlockArgument() {
      return true;
    }

    @Override
    public Set<? extends Class<?>> getRequiredContext() {
      return Set.of(Run.class, TaskListener.class, FilePath.class, EnvVars.class, FlowNode.class);
    }

    /** The snippet generator's form has one audience per line; Pipeline scripts pass a list. */
    @Override
    public Step newInstance(StaplerRequest2 req, @NonNull JSONObject formData) throws Descriptor.FormException {
      WithTaskIdentityStep step = new WithTaskIdentityStep();
      step.setAudiences(List.of(formData.optString("audiences", "").split("[,\\s]+")));
      step.setExchange(List.of(formData.optString("exchange", "").split("[,\\s]+")));
      step.setTtl(formData.optString("ttl", null));
      step.setTokenVariable(formData.optString("tokenVariable", null));
      step.setAwsRoleArn(formData.optString("awsRoleArn", null));
      try {
        step.setOnExpiry(formData.optString("onExpiry", null));
      } catch (IllegalArgumentException e) {
        throw new Descriptor.FormException(e.getMessage(), "onExpiry");
      }
      return step;
    }

    public ListBoxModel doFillOnExpiryItems() {
      ListBoxModel items = new ListBoxModel();
      items.add("fail: stop the block when the task's lifetime runs out", "fail");
      items.add("warn: warn and let the block go on", "warn");
      return items;
    }

    public FormValidation doCheckTokenVariable(@QueryParameter String value) {
      String v = Util.fixEmptyAndTrim(value);
      return v == null || v.matches("[A-Za-z_][A-Za-z0-9_]*") ? FormValidation.ok() : FormValidation.error("not a variable name");
    }
  }
}
