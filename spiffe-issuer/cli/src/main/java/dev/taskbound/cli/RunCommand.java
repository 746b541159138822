package dev.taskbound.cli;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.cli.workload.WorkloadApiServer;
import dev.taskbound.client.ApprovalWait;
import dev.taskbound.client.Backoff;
import dev.taskbound.client.EndResult;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.SessionOptions;
import dev.taskbound.client.SvidListener;
import dev.taskbound.client.Svids;
import dev.taskbound.client.TaskSession;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code taskbound run -- CMD ARGS…}: one task around one command. The outcome follows the command: exit 0 →
 * succeeded, another status → failed, killed by a signal (status above 128) or signalled through us → aborted.
 */
@Command(name = "run", description = "Begin a task, run CMD with its credentials, end the task with CMD's outcome.")
final class RunCommand implements Callable<Integer>, TaskboundCli.NeedsEnv {
  @Mixin IssuerOptions issuerOptions;

  @Option(names = "--audience", paramLabel = "A", description = "JWT-SVID audience (repeatable).")
  List<String> audiences = new ArrayList<>();

  @Option(names = "--ttl", paramLabel = "D", description = "Requested task lifetime (15m, 1h); capped by the issuer.")
  String ttl;

  @Mixin ExchangeOptions exchangeOptions;

  @Option(names = "--workload-api", description = "Serve the SPIFFE Workload API on a socket in the private directory.")
  boolean workloadApi;

  @Option(names = "--dir", paramLabel = "DIR", description = "Private credential directory (default: a fresh one under $TMPDIR).")
  Path dir;

  @Option(names = "--end-retry", paramLabel = "D", defaultValue = "2m", converter = DurationConverter.class,
      description = "How long to keep trying to end the task when the issuer is unreachable (default: ${DEFAULT-VALUE}).")
  Duration endRetry;

  @Option(names = "--grace", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
      description = "After forwarding a signal, how long CMD may take to stop before SIGKILL (default: ${DEFAULT-VALUE}).")
  Duration grace;

  @Option(names = "--evidence-key", paramLabel = "FILE",
      description = "The evidence log's verifier key: check the end's signed revocation receipt against it.")
  Path evidenceKey;

  @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command to run, after --.")
  List<String> command;

  private Map<String, String> env;

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws Exception {
    String issuerUrl = issuerOptions.issuerUrl(env);
    Attestation attestation = issuerOptions.attestation(env, issuerUrl);
    SessionOptions options = SessionOptions.defaults()
        .withAudiences(audiences)
        .withTtl(ttl)
        .withCredentialDir(dir)
        .withExchange(exchangeOptions.audiences)
        .withEndRetry(new Backoff(Duration.ofMillis(500), Duration.ofSeconds(15)), endRetry);
    if (evidenceKey != null) {
      options = options.withEvidenceKey(LogKeyOptions.readKeyFile(evidenceKey));
    }
    TaskSession session;
    try {
      IssuerClient client = issuerOptions.ca.client(issuerUrl);
      ApprovalWait approval = ApprovalConsole.waitFor(client);
      SessionOptions sessionOptions = options;
      session = ApprovalConsole.withdrawnOnExit(approval, () -> TaskSession.begin(client, attestation, sessionOptions, approval));
    } catch (IssuerException e) {
      throw new TaskboundCli.BeginFailed(e.getMessage(), e);
    }
    WorkloadApiServer wapi = null;
    Process child = null;
    SignalForwarder signals = null;
    Thread backstop = null;
    session.addListener(new SvidListener() {
      @Override
      public void rotated(Svids svids) {}

      @Override
      public void downstreamRefreshFailed(String audience, RuntimeException error, Instant stillValidUntil) {
        System.err.printf("taskbound: could not refresh the downstream token for %s (%s); the previous one stays valid until %s%n",
            audience, error.getMessage(), stillValidUntil);
      }
    });
    try {
      Path privateDir = session.directory().path();
      if (workloadApi) {
        wapi = WorkloadApiServer.start(session, privateDir.resolve(WorkloadApiServer.SOCKET), Clock.systemUTC());
      }
      ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
      pb.environment().remove(issuerOptions.tokenVariable());
      pb.environment().putAll(ChildEnvironment.of(
          issuerUrl, session.taskId(), session.spiffeId(), privateDir, session.current().jwtSvids().stream().map(j -> j.audience()).toList(),
          List.copyOf(session.downstreamTokens().keySet()), exchangeOptions.awsRoleArn, wapi != null ? wapi.endpoint() : null));
      System.err.printf("taskbound: task %s as %s%n", session.taskId(), session.spiffeId());
      // Handlers first: a SIGTERM that comes as the child starts must be forwarded, not kill this JVM unhandled.
      signals = SignalForwarder.install(grace);
      try {
        child = pb.start();
      } catch (IOException e) {
        System.err.println("taskbound: cannot start " + command.get(0) + ": " + e.getMessage());
        closeQuietly(wapi);
        report(session, session.end(TaskOutcome.FAILED, "command could not start"));
        return 127;
      }
      signals.attach(child);
      // Backstop for what we cannot handle (SIGHUP, a crash in here): never leave the task running.
      Process c = child;
      WorkloadApiServer w = wapi;
      backstop = new Thread(() -> {
        if (session.endResult() == null) {
          c.destroy();
          closeQuietly(w);
          session.end(TaskOutcome.ABORTED, "taskbound was stopped");
        }
      }, "taskbound-backstop");
      Runtime.getRuntime().addShutdownHook(backstop);

      int status = child.waitFor();
      String signal = signals.received();
      TaskOutcome outcome = signal != null || status > 128 ? TaskOutcome.ABORTED : status == 0 ? TaskOutcome.SUCCEEDED : TaskOutcome.FAILED;
      String reason = signal != null ? "taskbound received SIG" + signal
          : status > 128 ? "command killed by signal " + (status - 128)
          : "command exited with status " + status;
      closeQuietly(wapi);
      EndResult result = session.end(outcome, reason);
      report(session, result);
      if (!result.ended() && status == 0) {
        return TaskboundCli.EXIT_END_FAILED;
      }
      return status;
    } finally {
      if (signals != null) {
        signals.close();
      }
      if (backstop != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(backstop);
        } catch (IllegalStateException ignored) {
          // Already shutting down: the hook runs and finds the task ended.
        }
      }
      if (session.endResult() == null) {
        if (child != null) {
          child.destroy();
        }
        closeQuietly(wapi);
        report(session, session.end(TaskOutcome.FAILED, "taskbound failed while running the command"));
      }
    }
  }

  private void report(TaskSession session, EndResult result) {
    EvidenceSummary.print(System.err, session.spiffeId(), result, endRetry);
  }

  private static void closeQuietly(WorkloadApiServer wapi) {
    if (wapi != null) {
      try {
        wapi.close();
      } catch (RuntimeException ignored) {
        // Ending the task matters more than a clean socket shutdown.
      }
    }
  }
}
