package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.attest.JwksFetcher;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Stores;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code taskbound-issuer}: serve, inspect and operate the Taskbound issuer. */
@Command(
    name = "taskbound-issuer",
    mixinStandardHelpOptions = true,
    // Inherited: every subcommand, at any depth, takes --help (and --version) as the docs promise.
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = VersionCommand.Provider.class,
    description = "Task-scoped SPIFFE identities for CI steps.")
public final class IssuerCli implements Runnable {
  /** The subcommands, in the order help lists them ({@code controllers}, built apart, comes last). */
  private static final List<Class<?>> SUBCOMMANDS = List.of(
      ServeCommand.class,
      TasksCommand.class,
      ApprovalsCommand.class,
      ExceptionsCommand.class,
      ReportCommand.class,
      BundleCommand.class,
      DevTokenCommand.class,
      PolicyCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class);
  private static final String CONTROLLERS = "controllers";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Only through {@link #commandLine}: on its own it has no subcommands. */
  private IssuerCli() {}

  public static void main(String[] args) {
    System.exit(commandLine(args).execute(args));
  }

  /**
   * The command line {@code args} need: when the first names a subcommand, only that one is built. Picocli reflects
   * over every command it is given; building all of them took ~100 ms of the issuer's start-up (issue 13). Anything
   * else (no arguments, a mistyped subcommand, {@code --help}, {@code help COMMAND}) gets them all, so help and
   * suggestions find every one; so do tests that walk every command ({@code commandLine()}).
   */
  public static CommandLine commandLine(String... args) {
    String first = args.length == 0 ? null : args[0];
    boolean named = CONTROLLERS.equals(first)
        || SUBCOMMANDS.stream().filter(c -> c != CommandLine.HelpCommand.class).anyMatch(c -> names(c).contains(first));
    return build(named ? first : null);
  }

  private static CommandLine build(String only) {
    CommandLine cli = new CommandLine(new IssuerCli());
    for (Class<?> command : SUBCOMMANDS) {
      if (only == null || names(command).contains(only)) {
        cli.addSubcommand(command);
      }
    }
    if (only == null || only.equals(CONTROLLERS)) {
      cli.addSubcommand(CONTROLLERS, controllers());
    }
    return cli.setCaseInsensitiveEnumValuesAllowed(true);
  }

  private static List<String> names(Class<?> command) {
    Command c = command.getAnnotation(Command.class);
    List<String> names = new ArrayList<>(List.of(c.aliases()));
    names.add(c.name());
    return names;
  }

  private static CommandLine controllers() {
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
    return controllers;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
