package dev.taskbound.cli;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** The private directory of a task begun by {@code taskbound begin}. */
final class StateDirOption {
  @Option(names = "--dir", paramLabel = "DIR", description = "The task's private directory (default: $TASKBOUND_SVID_DIR).")
  Path dir;

  Path resolve(Map<String, String> env) {
    if (dir != null) {
      return dir;
    }
    String fromEnv = env.get(ChildEnvironment.SVID_DIR);
    if (fromEnv == null || fromEnv.isBlank()) {
      throw new IllegalArgumentException("no task directory: pass --dir or set " + ChildEnvironment.SVID_DIR + " (eval the output of 'taskbound begin')");
    }
    return Path.of(fromEnv);
  }
}
