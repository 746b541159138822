package dev.taskbound.issuer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code taskbound-issuer}: serve, inspect and operate the Taskbound issuer. */
@Command(
    name = "taskbound-issuer",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Task-scoped SPIFFE identities for CI steps.",
    subcommands = {
      ServeCommand.class,
      TasksCommand.class,
      BundleCommand.class,
      DevTokenCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class
    })
public final class IssuerCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, for tests that run it in-process. */
  public static CommandLine commandLine() {
    return new CommandLine(new IssuerCli()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
