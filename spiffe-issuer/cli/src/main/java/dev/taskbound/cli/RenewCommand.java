package dev.taskbound.cli;

import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.client.CredentialDirectory;
import dev.taskbound.client.Svids;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code taskbound renew}: fresh SVIDs for a task begun by {@code taskbound begin}, files replaced atomically. */
@Command(name = "renew", description = "Renew the SVIDs of a task begun with 'taskbound begin'.")
final class RenewCommand implements Callable<Integer>, TaskboundCli.NeedsEnv {
  @Mixin StateDirOption dirOption;
  @Mixin IssuerCaOption ca;

  private Map<String, String> env;

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    Path dir = dirOption.resolve(env);
    ShellState state = ShellState.read(dir);
    RenewTaskResponse r = ca.client(state.issuerUrl(), state.issuerCaPem()).renew(state.taskId(), state.controlToken());
    CredentialDirectory.at(dir).write(
        new Svids(r.taskId(), r.spiffeId(), r.x509SvidChainPem(), r.jwtSvids(), r.bundlePem(), null, r.expiresAt(), r.renewAfter()));
    System.err.printf("taskbound: task %s renewed; renew again before %s%n", state.taskId(), r.renewAfter());
    return 0;
  }
}
