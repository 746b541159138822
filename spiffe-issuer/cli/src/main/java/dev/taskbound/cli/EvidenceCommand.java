package dev.taskbound.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code taskbound evidence}: offline checks of what the issuer's evidence log says. */
@Command(
    name = "evidence",
    description = "Verify task evidence bundles and checkpoint consistency with only the log's public key.",
    subcommands = {EvidenceVerifyCommand.class, EvidenceConsistencyCommand.class})
final class EvidenceCommand implements Callable<Integer> {
  /** The evidence verified. */
  static final int VALID = 0;
  /** The evidence was checked and did not verify. */
  static final int INVALID = 1;
  /** The check could not run: bad options, unreadable input, unusable key, unreachable issuer. */
  static final int CANNOT_CHECK = CommandLine.ExitCode.USAGE;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: verify or consistency");
  }
}
