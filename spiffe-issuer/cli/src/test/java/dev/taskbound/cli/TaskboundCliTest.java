package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TaskboundCliTest {
  @Test
  void everyCommandAndSubcommandTakesHelp() {
    List<List<String>> paths = new ArrayList<>();
    collect(TaskboundCli.newCommandLine(Map.of()), new ArrayList<>(), paths);
    assertThat(paths).extracting(p -> String.join(" ", p)).contains("run", "begin", "renew", "end", "evidence verify");
    for (List<String> path : paths) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CommandLine cli = TaskboundCli.newCommandLine(Map.of());
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      List<String> args = new ArrayList<>(path);
      args.add("--help");

      assertThat(cli.execute(args.toArray(String[]::new))).as("%s --help: %s", path, err).isZero();
      assertThat(out.toString()).as("%s --help", path).startsWith("Usage: taskbound " + String.join(" ", path));
    }
  }

  private static void collect(CommandLine cl, List<String> prefix, List<List<String>> into) {
    cl.getSubcommands().forEach((name, sub) -> {
      List<String> path = new ArrayList<>(prefix);
      path.add(name);
      into.add(path);
      collect(sub, path, into);
    });
  }
}
