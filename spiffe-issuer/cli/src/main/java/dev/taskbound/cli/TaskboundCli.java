package dev.taskbound.cli;

import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code taskbound}. */
@Command(
    name = "taskbound",
    mixinStandardHelpOptions = true,
    // Inherited: every subcommand, at any depth, takes --help (and --version) as the docs promise.
    scope = CommandLine.ScopeType.INHERIT,
    versionProvider = TaskboundCli.Version.class,
    description = "Runs a CI step under a task-scoped SPIFFE identity that is revoked when the step ends.",
    subcommands = {RunCommand.class, BeginCommand.class, RenewCommand.class, ExchangeCommand.class, EndCommand.class, EvidenceCommand.class})
public final class TaskboundCli {
  /** Exit status when the command succeeded but its task could not be ended (still active at the issuer). */
  public static final int EXIT_END_FAILED = 75;
  /** Exit status when the task could not begin (attestation, policy, unreachable issuer). */
  public static final int EXIT_BEGIN_FAILED = 69;

  public static void main(String[] args) {
    System.exit(newCommandLine(System.getenv()).execute(args));
  }

  /** A command line whose subcommands read {@code env} instead of the process environment (tests). */
  public static CommandLine newCommandLine(Map<String, String> env) {
    CommandLine cl = new CommandLine(new TaskboundCli(), new EnvFactory(env));
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      // Messages only: a stack trace could carry a request body, and users need the sentence, not the frames.
      PrintWriter err = cmd.getErr();
      err.println("taskbound: " + e.getMessage() + IssuerCaOption.hint(e));
      return e instanceof BeginFailed ? EXIT_BEGIN_FAILED : 1;
    });
    return cl;
  }

  /** Begin was refused or the issuer unreachable. */
  static final class BeginFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BeginFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Hands the environment to every command that wants it. */
  private record EnvFactory(Map<String, String> env) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> cls) throws Exception {
      K obj = CommandLine.defaultFactory().create(cls);
      if (obj instanceof NeedsEnv n) {
        n.env(env);
      }
      return obj;
    }
  }

  /** A command or mixin that reads environment variables. */
  interface NeedsEnv {
    void env(Map<String, String> env);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = TaskboundCli.class.getPackage().getImplementationVersion();
      return new String[] {"taskbound " + (v != null ? v : "dev")};
    }
  }
}
