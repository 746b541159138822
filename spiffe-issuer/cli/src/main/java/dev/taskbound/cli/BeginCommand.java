package dev.taskbound.cli;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.ApprovalWait;
import dev.taskbound.client.Backoff;
import dev.taskbound.client.CredentialDirectory;
import dev.taskbound.client.DownstreamExchange;
import dev.taskbound.client.DownstreamToken;
import dev.taskbound.client.EndRetry;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.Svids;
import dev.taskbound.client.TaskKey;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eval "$(taskbound begin …)"}: begins a task, writes the credentials and a state file to the private
 * directory, prints {@code export} lines. Nothing renews in the background; call {@code taskbound renew} before
 * the SVIDs expire, and {@code taskbound end} when done.
 */
@Command(name = "begin", description = "Begin a task for a shell; prints export lines for eval.")
final class BeginCommand implements Callable<Integer>, TaskboundCli.NeedsEnv {
  @Mixin IssuerOptions issuerOptions;

  @Option(names = "--audience", paramLabel = "A", description = "JWT-SVID audience (repeatable).")
  List<String> audiences = new ArrayList<>();

  @Option(names = "--ttl", paramLabel = "D", description = "Requested task lifetime; capped by the issuer.")
  String ttl;

  @Mixin ExchangeOptions exchangeOptions;

  @Option(names = "--dir", paramLabel = "DIR", description = "Private credential directory (default: a fresh one under $TMPDIR).")
  Path dir;

  @Option(names = "--end-retry", paramLabel = "D", defaultValue = "2m", converter = DurationConverter.class,
      description = "Stored for 'taskbound end': how long it keeps trying an unreachable issuer (default: ${DEFAULT-VALUE}).")
  Duration endRetry;

  private Map<String, String> env;

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    String issuerUrl = issuerOptions.issuerUrl(env);
    Attestation attestation = issuerOptions.attestation(env, issuerUrl);
    IssuerClient client = issuerOptions.ca.client(issuerUrl);
    TaskKey key = TaskKey.generate();
    BeginTaskResponse begun;
    try {
      ApprovalWait approval = ApprovalConsole.waitFor(client);
      begun = ApprovalConsole.withdrawnOnExit(
          approval, () -> approval.begin(attestation, key, DownstreamExchange.jwtAudiences(audiences, exchangeOptions.audiences, issuerUrl), ttl));
    } catch (IssuerException e) {
      throw new TaskboundCli.BeginFailed(e.getMessage(), e);
    }
    CredentialDirectory cd = null;
    String failure = "client could not store credentials";
    try {
      cd = dir != null ? CredentialDirectory.at(dir) : CredentialDirectory.createTemp();
      Svids svids = new Svids(begun.taskId(), begun.spiffeId(), begun.x509SvidChainPem(), begun.jwtSvids(), begun.bundlePem(),
          null, begun.expiresAt(), begun.renewAfter());
      cd.writeKey(key.privateKeyPem());
      cd.write(svids);
      new ShellState(issuerUrl, begun.taskId(), begun.spiffeId(), begun.controlToken(),
          begun.jwtSvids().stream().map(JwtSvidCredential::audience).toList(), endRetry.toSeconds(), issuerOptions.ca.pem()).write(cd);
      failure = "token exchange at begin failed";
      for (DownstreamToken token : DownstreamExchange.exchange(client, svids, exchangeOptions.audiences)) {
        cd.writeDownstream(token);
      }
    } catch (RuntimeException e) {
      new EndRetry(client, new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5)), Duration.ofSeconds(30), Clock.systemUTC())
          .end(begun.taskId(), begun.controlToken(), TaskOutcome.FAILED.wire(), failure);
      if (cd != null) {
        cd.wipe();
      }
      if (e instanceof IssuerException refused) {
        throw new TaskboundCli.BeginFailed(failure + ": " + refused.getMessage(), refused);
      }
      throw e;
    }
    System.out.print(ChildEnvironment.exportLines(ChildEnvironment.of(
        issuerUrl, begun.taskId(), begun.spiffeId(), cd.path(),
        begun.jwtSvids().stream().map(JwtSvidCredential::audience).toList(), exchangeOptions.audiences, exchangeOptions.awsRoleArn, null)));
    System.err.printf("taskbound: task %s as %s; renew before %s with 'taskbound renew', end with 'taskbound end --outcome …'%n",
        begun.taskId(), begun.spiffeId(), begun.renewAfter());
    return 0;
  }
}
