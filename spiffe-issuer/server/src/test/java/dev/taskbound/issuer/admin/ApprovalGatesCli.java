package dev.taskbound.issuer.admin;

import dev.taskbound.issuer.cli.IssuerCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** {@code taskbound-issuer ARGS --config CONFIG} in-process, as an operator runs it beside the issuer. */
final class ApprovalGatesCli {
  private ApprovalGatesCli() {}

  /** Exit code, standard output and standard error. */
  static String[] run(Path config, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new IssuerCli());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--config", config.toString()));
    int exit = cl.execute(all.toArray(String[]::new));
    return new String[] {Integer.toString(exit), out.toString(), err.toString()};
  }
}
