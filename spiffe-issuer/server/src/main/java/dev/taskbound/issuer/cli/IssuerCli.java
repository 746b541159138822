package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.attest.JwksFetcher;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Stores;
import java.time.Clock;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code taskbound-issuer}: serve, inspect and operate the Taskbound issuer. */
@Command(
    name = "taskbound-issuer",
    mixinStandardHelpOptions = true,
    // Inherited: every subcommand, at any depth, takes --help (and --version) as the docs promise.
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = VersionCommand.Provider.class,
    description = "Task-scoped SPIFFE identities for CI steps.",
    subcommands = {
      ServeCommand.class,
      TasksCommand.class,
      ApprovalsCommand.class,
      ExceptionsCommand.class,
      ReportCommand.class,
      BundleCommand.class,
      DevTokenCommand.class,
      PolicyCommand.class,
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
    CommandLine cli = new CommandLine(new IssuerCli());
    // controllers takes its store from a supplier; --config/--data-dir feed it as on every operator command.
    ConfigOptions options = new ConfigOptions();
    CommandLine controllers =
        new CommandLine(
            new ControllersCommand(
                () -> {
                  IssuerConfig cfg = options.load();
                  return Stores.open(cfg.store(), cfg.dataDir());
                },
                JwksFetcher.withDefaults(),
                Clock.systemUTC()));
    controllers.getSubcommands().values().forEach(leaf -> leaf.addMixin("config", options));
    cli.addSubcommand("controllers", controllers);
    return cli.setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
