package dev.taskbound.jenkins;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.Backoff;
import dev.taskbound.client.ConsoleMasker;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.IssuerTls;
import dev.taskbound.client.StepCredentials;
import dev.taskbound.client.StepEnding;
import dev.taskbound.client.StepIdentity;
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
import hudson.model.Run;
import hudson.model.TaskListener;
import hudson.slaves.WorkspaceList;
import hudson.util.FormValidation;
import hudson.util.Secret;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
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
import java.util.Map;
import java.util.Set;
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
  private List<String> audiences = new ArrayList<>();
  private String ttl;
  private String tokenVariable;

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
    List<String> clean = new ArrayList<>();
    if (audiences != null) {
      for (String a : audiences) {
        String aud = Util.fixEmptyAndTrim(a);
        if (aud != null && !clean.contains(aud)) {
          clean.add(aud);
        }
      }
    }
    this.audiences = clean;
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
   */
  static final class Execution extends GeneralNonBlockingStepExecution {
    private static final long serialVersionUID = 1L;
    private static final Logger LOGGER = Logger.getLogger(WithTaskIdentityStep.class.getName());
    /** The {@code timeout} step's cause (workflow-basic-steps); by name, so this plugin does not depend on it. */
    static final String TIMEOUT_CAUSE = "org.jenkinsci.plugins.workflow.steps.TimeoutStepExecution$ExceededTimeout";
    private static final Backoff RENEW_BACKOFF = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(30));

    private final transient WithTaskIdentityStep step;

    private String issuerUrl;
    private String taskId;
    private String spiffeId;
    private Secret controlToken;
    private String directory;
    private long expiresAtMillis;
    private boolean bodyStarted;
    /** Set when ending starts, so a restart in the middle of it ends again (end is idempotent). */
    private String endingOutcome;
    private boolean ended;
    private int failedRenewals;

    private transient volatile ScheduledFuture<?> renewal;
    /** One ending at a time in this JVM (the tail call and a stop can race); a restart clears it. */
    private transient boolean finishing;

    Execution(WithTaskIdentityStep step, StepContext context) {
      super(context);
      this.step = step;
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
      StepCredentials creds =
          identity.begin(signer.attest(facts), agentFiles(workspace), null, step.audiences, step.ttl);
      synchronized (this) {
        issuerUrl = identity.issuerUrl();
        taskId = creds.taskId();
        spiffeId = creds.spiffeId();
        controlToken = Secret.fromString(creds.controlToken());
        directory = creds.written().directory();
        expiresAtMillis = creds.expiresAt().toEpochMilli();
      }
      try {
        listener.getLogger().println("Taskbound: " + spiffeId + " (task " + taskId + ") until " + creds.expiresAt()
            + "; credentials in " + directory);
        TaskIdentityAction.of(run).begun(new TaskIdentityAction.Task(
            taskId, spiffeId, facts.flowNodeId(), facts.node(), step.audiences, Instant.now(), creds.expiresAt()));
        scheduleRenewal(creds.renewAfter().toEpochMilli());

        Map<String, String> variables = creds.written().environment(issuerUrl, taskId, spiffeId);
        Map<String, String> secretVariables = new LinkedHashMap<>();
        if (step.tokenVariable != null && !creds.svids().jwtSvids().isEmpty()) {
          secretVariables.put(step.tokenVariable, creds.svids().jwtSvids().get(0).token());
        }
        synchronized (this) {
          bodyStarted = true;
        }
        ctx.newBodyInvoker()
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

    /** Ends the task and wipes the agent files; repeat calls do nothing. Every failure is reported, none skips the next. */
    private void finish(StepContext ctx, TaskOutcome outcome, String reason) throws Exception {
      String id;
      String token;
      String dir;
      synchronized (this) {
        if (taskId == null || ended || finishing) {
          return;
        }
        finishing = true;
        if (endingOutcome == null) {
          endingOutcome = outcome.wire();
        }
        cancelRenewal();
        id = taskId;
        token = controlToken.getPlainText();
        dir = directory;
      }
      Exception problem = null;
      TaskListener listener = ctx.get(TaskListener.class);
      Run<?, ?> run = ctx.get(Run.class);
      AgentFiles agent = null;
      try {
        agent = agentFiles(ctx.get(FilePath.class));
      } catch (Exception e) {
        problem = e;
      }
      StepEnding ending;
      try {
        ending = identity().finish(id, token, outcome, reason, agent, agent == null ? null : dir);
      } finally {
        synchronized (this) {
          ended = true;
          finishing = false;
        }
      }
      if (ending.end().ended()) {
        listener.getLogger().println("Taskbound: task " + id + " ended " + outcome.wire() + ": "
            + ending.end().revokedCount() + " credential(s) revoked, residual exposure at most "
            + ending.end().residualExposure().toSeconds() + " s");
      } else {
        String why = ending.end().failure() == null ? "no answer" : ending.end().failure().getMessage();
        problem = collect(problem, new AbortException("Taskbound: task " + id + " could not be ended (" + why
            + "); the issuer ends it when its renewals stop"));
      }
      if (ending.wipeFailure() != null) {
        problem = collect(problem, new IOException("Taskbound: credential files in " + dir + " could not be deleted", ending.wipeFailure()));
      }
      if (run != null) {
        try {
          TaskIdentityAction.of(run).ended(id, outcome.wire(), ending.end());
        } catch (IOException e) {
          problem = collect(problem, e);
        }
      }
      if (problem != null) {
        throw problem;
      }
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
      }
    }

    // ---- renewal, on the controller's shared timer ----------------------------------------------------------

    private synchronized void scheduleRenewal(long atMillis) {
      if (ended || endingOutcome != null) {
        return;
      }
      long delay = Math.max(0, atMillis - System.currentTimeMillis());
      renewal = Timer.get().schedule(this::renew, delay, TimeUnit.MILLISECONDS);
    }

    private synchronized void cancelRenewal() {
      if (renewal != null) {
        renewal.cancel(false);
        renewal = null;
      }
    }

    private void renew() {
      String id;
      String token;
      String dir;
      synchronized (this) {
        if (ended || endingOutcome != null) {
          return;
        }
        id = taskId;
        token = controlToken.getPlainText();
        dir = directory;
      }
      try {
        StepCredentials fresh = identity().renew(id, token, agentFiles(getContext().get(FilePath.class)), dir);
        synchronized (this) {
          expiresAtMillis = fresh.expiresAt().toEpochMilli();
          failedRenewals = 0;
        }
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

    private void retryRenewal(String id, Exception e) {
      long retryAt;
      synchronized (this) {
        failedRenewals++;
        retryAt = System.currentTimeMillis() + RENEW_BACKOFF.delayAfter(failedRenewals).toMillis();
        if (retryAt >= expiresAtMillis) {
          retryAt = Math.max(System.currentTimeMillis(), expiresAtMillis - 1000);
        }
      }
      log("Taskbound: renewal of task " + id + " failed (" + e.getMessage() + "); retrying");
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

  /** Abort → {@code aborted}, the {@code timeout} step → {@code timed_out}, anything else → {@code failed}. */
  static TaskOutcome outcomeOf(Throwable t) {
    if (t instanceof FlowInterruptedException) {
      for (CauseOfInterruption cause : ((FlowInterruptedException) t).getCauses()) {
        if (Execution.TIMEOUT_CAUSE.equals(cause.getClass().getName())) {
          return TaskOutcome.TIMED_OUT;
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
      step.setTtl(formData.optString("ttl", null));
      step.setTokenVariable(formData.optString("tokenVariable", null));
      return step;
    }

    public FormValidation doCheckTokenVariable(@QueryParameter String value) {
      String v = Util.fixEmptyAndTrim(value);
      return v == null || v.matches("[A-Za-z_][A-Za-z0-9_]*") ? FormValidation.ok() : FormValidation.error("not a variable name");
    }
  }
}
