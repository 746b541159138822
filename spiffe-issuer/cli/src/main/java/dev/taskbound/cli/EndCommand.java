package dev.taskbound.cli;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.Backoff;
import dev.taskbound.client.CredentialDirectory;
import dev.taskbound.client.EndResult;
import dev.taskbound.client.EndRetry;
import dev.taskbound.client.evidence.NoteKey;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code taskbound end}: ends a task begun by {@code taskbound begin}, prints the summary, wipes the directory. */
@Command(name = "end", description = "End a task begun with 'taskbound begin' and delete its credentials.")
final class EndCommand implements Callable<Integer>, TaskboundCli.NeedsEnv {
  @Mixin StateDirOption dirOption;
  @Mixin IssuerCaOption ca;

  @Option(names = "--outcome", paramLabel = "O", defaultValue = "succeeded",
      description = "succeeded, failed, aborted or timed_out (default: ${DEFAULT-VALUE}).")
  String outcome;

  @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the evidence log.")
  String reason;

  @Option(names = "--evidence-key", paramLabel = "FILE",
      description = "The evidence log's verifier key: check the end's signed revocation receipt against it.")
  Path evidenceKey;

  private Map<String, String> env;

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    TaskOutcome o = TaskOutcome.fromWire(outcome);
    if (o == null || !o.reportableByClient()) {
      throw new IllegalArgumentException("--outcome must be succeeded, failed, aborted or timed_out, not " + outcome);
    }
    NoteKey key = evidenceKey == null ? null : LogKeyOptions.readKeyFile(evidenceKey);
    Path dir = dirOption.resolve(env);
    ShellState state = ShellState.read(dir);
    EndResult result;
    try {
      result = new EndRetry(ca.client(state.issuerUrl(), state.issuerCaPem()), new Backoff(Duration.ofMillis(500), Duration.ofSeconds(15)),
          state.endRetry(), Clock.systemUTC()).end(state.taskId(), state.controlToken(), o.wire(), reason);
    } finally {
      CredentialDirectory.at(dir).wipe();
    }
    if (key != null) {
      result = result.withReceiptVerifiedBy(key);
    }
    EvidenceSummary.print(System.err, state.spiffeId(), result, state.endRetry());
    return result.ended() ? 0 : TaskboundCli.EXIT_END_FAILED;
  }
}
