package dev.taskbound.cli;

import dev.taskbound.client.AudienceNames;
import dev.taskbound.client.CredentialDirectory;
import dev.taskbound.client.DownstreamToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code taskbound exchange AUD}: for a task begun by {@code taskbound begin}, exchanges its JWT-SVID for the issuer
 * for a downstream token for AUD, writes it to {@code downstream.<AUD>.token} in the private directory and prints
 * that file's path. The token itself is printed only with {@code --print-token}: stdout often ends up in a CI log.
 */
@Command(name = "exchange",
    description = "Exchange the JWT-SVID of a task begun with 'taskbound begin' for a downstream token for AUD; prints the token file's path.")
final class ExchangeCommand implements Callable<Integer>, TaskboundCli.NeedsEnv {
  @Mixin StateDirOption dirOption;
  @Mixin IssuerCaOption ca;

  @Parameters(index = "0", paramLabel = "AUD", description = "The downstream audience (sts.amazonaws.com, a Vault role's bound audience …).")
  String audience;

  @Option(names = "--print-token",
      description = "Print the token itself instead of its file's path (for a command that takes it as an argument; never let it reach a log).")
  boolean printToken;

  private Map<String, String> env;

  @Override
  public void env(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    Path dir = dirOption.resolve(env);
    ShellState state = ShellState.read(dir);
    Path subject = dir.resolve(AudienceNames.tokenFile(state.issuerUrl()));
    if (!Files.exists(subject)) {
      throw new IllegalArgumentException("task " + state.taskId() + " holds no JWT-SVID for the issuer to exchange: begin it with "
          + "--exchange AUD (or --audience " + state.issuerUrl() + ")");
    }
    String subjectToken;
    try {
      subjectToken = Files.readString(subject).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + subject, e);
    }
    DownstreamToken token = ca.client(state.issuerUrl(), state.issuerCaPem()).exchange(subjectToken, audience);
    Path file = CredentialDirectory.at(dir).writeDownstream(token);
    System.out.println(printToken ? token.token() : file.toAbsolutePath().toString());
    System.err.printf("taskbound: downstream token for %s valid until %s; after %s run 'taskbound renew' and this again for a fresh one%n",
        audience, token.expiresAt(), token.refreshAt());
    return 0;
  }
}
