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
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--config", config.toString()));
    String[] argv = all.toArray(String[]::new);
    CommandLine cl = IssuerCli.commandLine(argv);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(argv);
    return new String[] {Integer.toString(exit), out.toString(), err.toString()};
  }
}
