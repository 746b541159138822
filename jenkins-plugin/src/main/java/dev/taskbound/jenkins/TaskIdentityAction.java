package dev.taskbound.jenkins;

import dev.taskbound.api.RevokedCredential;
import dev.taskbound.client.EndResult;
import dev.taskbound.client.IssuerTls;
import edu.umd.cs.findbugs.annotations.CheckForNull;
import hudson.model.Item;
import hudson.model.Run;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import jenkins.model.RunAction2;
import org.kohsuke.stapler.QueryParameter;
import org.kohsuke.stapler.StaplerResponse2;
import org.kohsuke.stapler.verb.GET;

/**
 * The build page's record of its task identities: one {@link Task} per {@code withTaskIdentity} step, with its
 * SPIFFE ID, credentials, revocation times, residual exposure and a link to the evidence bundle (fetched from the
 * issuer on demand). Identifiers and times only: nothing here is a secret.
 */
public class TaskIdentityAction implements RunAction2 {
  private final List<Task> tasks = new ArrayList<>();
  private transient Run<?, ?> run;

  /** The build's action, attached on first use; parallel steps share it. */
  static TaskIdentityAction of(Run<?, ?> run) {
    synchronized (TaskIdentityAction.class) {
      TaskIdentityAction action = run.getAction(TaskIdentityAction.class);
      if (action == null) {
        action = new TaskIdentityAction();
        run.addAction(action);
      }
      return action;
    }
  }

  @Override
  public void onAttached(Run<?, ?> r) {
    this.run = r;
  }

  @Override
  public void onLoad(Run<?, ?> r) {
    this.run = r;
  }

  public Run<?, ?> getRun() {
    return run;
  }

  @Override
  public String getIconFileName() {
    return "symbol-id-card";
  }

  @Override
  public String getDisplayName() {
    return "Task identities";
  }

  @Override
  public String getUrlName() {
    return "task-identities";
  }

  public synchronized List<Task> getTasks() {
    return new ArrayList<>(tasks);
  }

  synchronized void begun(Task task) throws IOException {
    tasks.add(task);
    save();
  }

  synchronized void ended(String taskId, String outcome, EndResult result) throws IOException {
    for (Task t : tasks) {
      if (t.taskId.equals(taskId)) {
        t.ended(outcome, result);
      }
    }
    save();
  }

  private void save() throws IOException {
    if (run != null) {
      run.save();
    }
  }

  /** Streams the task's evidence bundle from the issuer that recorded it. */
  @GET
  public void doEvidence(@QueryParameter String task, StaplerResponse2 rsp) throws IOException, InterruptedException {
    run.getParent().checkPermission(Item.READ);
    Task t = getTasks().stream().filter(x -> x.taskId.equals(task)).findFirst().orElse(null);
    if (t == null || t.evidenceUrl == null) {
      rsp.sendError(404, "no evidence for this task");
      return;
    }
    TaskboundConfiguration config = TaskboundConfiguration.get();
    // Only the issuer this controller trusts; a stored URL elsewhere is not fetched.
    if (config.getIssuerUrl() == null || !t.evidenceUrl.startsWith(config.getIssuerUrl() + "/")) {
      rsp.sendError(404, "the evidence is at another issuer: " + t.evidenceUrl);
      return;
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create(t.evidenceUrl)).timeout(Duration.ofSeconds(30)).GET().build();
    HttpResponse<InputStream> answer =
        IssuerTls.httpClient(config.getTrustedCertificates()).send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = answer.body()) {
      if (answer.statusCode() != 200) {
        rsp.sendError(502, "the issuer answered HTTP " + answer.statusCode());
        return;
      }
      rsp.setContentType("application/json;charset=UTF-8");
      rsp.setHeader("Content-Disposition", "attachment; filename=\"" + t.taskId + ".evidence.json\"");
      try (OutputStream out = rsp.getOutputStream()) {
        in.transferTo(out);
      }
    }
  }

  /** One task of the build. Persisted in {@code build.xml}: strings and numbers only. */
  public static final class Task implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String taskId;
    private final String spiffeId;
    private final String flowNodeId;
    private final String node;
    private final List<String> audiences;
    private final String begunAt;
    private String expiresAt;
    private String endedAt;
    private String outcome;
    private List<Revoked> revoked;
    private long residualExposureSeconds;
    private String evidenceUrl;
    private String endError;

    Task(String taskId, String spiffeId, String flowNodeId, String node, List<String> audiences, Instant begunAt, Instant expiresAt) {
      this.taskId = taskId;
      this.spiffeId = spiffeId;
      this.flowNodeId = flowNodeId;
      this.node = node;
      this.audiences = new ArrayList<>(audiences);
      this.begunAt = String.valueOf(begunAt);
      this.expiresAt = String.valueOf(expiresAt);
    }

    /** Records the issuer's outcome (the block's when the issuer gave none): it may have ended the task first. */
    void ended(String requestedOutcome, EndResult result) {
      this.outcome = requestedOutcome;
      if (result.ended()) {
        if (result.response().outcome() != null) {
          this.outcome = result.response().outcome();
        }
        this.endedAt = String.valueOf(result.response().endedAt());
        this.evidenceUrl = result.response().evidenceUrl();
        this.residualExposureSeconds = result.residualExposure().toSeconds();
        this.revoked = new ArrayList<>();
        if (result.response().revoked() != null) {
          for (RevokedCredential c : result.response().revoked()) {
            revoked.add(new Revoked(c.kind(), c.id(), String.valueOf(c.expiresAt()), String.valueOf(c.revokedAt()), c.residualExposureSeconds()));
          }
        }
        this.endError = null;
      } else {
        this.endError = result.failure() == null ? "not ended" : result.failure().getMessage();
      }
    }

    public String getTaskId() {
      return taskId;
    }

    public String getSpiffeId() {
      return spiffeId;
    }

    public String getFlowNodeId() {
      return flowNodeId;
    }

    @CheckForNull
    public String getNode() {
      return node;
    }

    public List<String> getAudiences() {
      return audiences == null ? List.of() : List.copyOf(audiences);
    }

    public String getBegunAt() {
      return begunAt;
    }

    public String getExpiresAt() {
      return expiresAt;
    }

    @CheckForNull
    public String getEndedAt() {
      return endedAt;
    }

    /** {@code succeeded}, {@code failed}, {@code aborted}, {@code timed_out}; null while the step runs. */
    @CheckForNull
    public String getOutcome() {
      return outcome;
    }

    public List<Revoked> getRevoked() {
      return revoked == null ? List.of() : List.copyOf(revoked);
    }

    public long getResidualExposureSeconds() {
      return residualExposureSeconds;
    }

    public boolean isEvidenceAvailable() {
      return evidenceUrl != null;
    }

    /** Why the task could not be ended (the issuer's reaper ends it once renewals stop); null when it was. */
    @CheckForNull
    public String getEndError() {
      return endError;
    }
  }

  /** A credential taken back at the end of a task. */
  public static final class Revoked implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String kind;
    private final String id;
    private final String expiresAt;
    private final String revokedAt;
    private final long residualExposureSeconds;

    Revoked(String kind, String id, String expiresAt, String revokedAt, long residualExposureSeconds) {
      this.kind = kind;
      this.id = id;
      this.expiresAt = expiresAt;
      this.revokedAt = revokedAt;
      this.residualExposureSeconds = residualExposureSeconds;
    }

    public String getKind() {
      return kind;
    }

    public String getId() {
      return id;
    }

    public String getExpiresAt() {
      return expiresAt;
    }

    public String getRevokedAt() {
      return revokedAt;
    }

    public long getResidualExposureSeconds() {
      return residualExposureSeconds;
    }
  }
}
