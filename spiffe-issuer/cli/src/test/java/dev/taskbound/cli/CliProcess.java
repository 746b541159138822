package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code taskbound} as a real process (signals and {@code System.exit} need one): the test JVM's class path, TMPDIR
 * under the test's {@code work} directory, stdout and stderr into files there.
 */
final class CliProcess {
  static final Pattern TASK_ID = Pattern.compile("task (tsk_[a-z2-7]{26})");

  private CliProcess() {}

  static ProcessBuilder taskbound(Path work, String... args) {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
        TaskboundCli.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("TMPDIR", work.toString());
    pb.redirectError(work.resolve("stderr.txt").toFile());
    pb.redirectOutput(work.resolve("stdout.txt").toFile());
    return pb;
  }

  static String stderr(Path work) throws IOException {
    return Files.readString(work.resolve("stderr.txt"));
  }

  static String stdout(Path work) throws IOException {
    return Files.readString(work.resolve("stdout.txt"));
  }

  /** The task id {@code taskbound} reported on stderr. */
  static String taskId(Path work) throws IOException {
    Matcher m = TASK_ID.matcher(stderr(work));
    assertThat(m.find()).as(stderr(work)).isTrue();
    return m.group(1);
  }
}
