package dev.taskbound.issuer.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.api.TaskView;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.store.TaskState;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code taskbound-issuer tasks list|show|end}: operator view of tasks, straight from the store. */
@Command(name = "tasks", description = "List, inspect and end tasks.", subcommands = {TasksCommand.ListTasks.class, TasksCommand.Show.class, TasksCommand.End.class})
final class TasksCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static String json(Object value) {
    try {
      return ApiJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Command(name = "list", description = "List tasks, newest first.")
  static final class ListTasks implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin ConfigOptions options;

    @Option(names = "--state", description = "active or ended (default: all).")
    TaskState state;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--json", description = "One JSON array instead of a table.")
    boolean json;

    @Override
    public void run() {
      PrintWriter out = spec.commandLine().getOut();
      try (Issuer.Offline issuer = Issuer.offline(options.load(), Clock.systemUTC())) {
        List<TaskView> tasks = issuer.tasks().list(state, limit);
        if (json) {
          out.println(TasksCommand.json(tasks));
          return;
        }
        out.printf("%-30s %-7s %-10s %-25s %s%n", "TASK", "STATE", "OUTCOME", "CREATED", "SPIFFE ID");
        for (TaskView t : tasks) {
          out.printf("%-30s %-7s %-10s %-25s %s%n", t.taskId(), t.state(), t.outcome() == null ? "-" : t.outcome(), t.createdAt(), t.spiffeId());
        }
      }
    }
  }

  @Command(name = "show", description = "Show one task and its credentials (identifiers, never secrets).")
  static final class Show implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin ConfigOptions options;

    @Parameters(paramLabel = "TASK_ID")
    String taskId;

    @Override
    public Integer call() {
      try (Issuer.Offline issuer = Issuer.offline(options.load(), Clock.systemUTC())) {
        var task = issuer.tasks().viewAsOperator(taskId);
        if (task.isEmpty()) {
          spec.commandLine().getErr().println("no task " + taskId);
          return 1;
        }
        spec.commandLine().getOut().println(TasksCommand.json(task.get()));
        return 0;
      }
    }
  }

  @Command(name = "end", description = "End a task now as an operator (outcome revoked) and revoke its credentials.")
  static final class End implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin ConfigOptions options;

    @Parameters(paramLabel = "TASK_ID")
    String taskId;

    @Option(names = "--reason", description = "Why, for the record.")
    String reason;

    @Override
    public Integer call() {
      try (Issuer.Offline issuer = Issuer.offline(options.load(), Clock.systemUTC())) {
        EndTaskResponse ended = issuer.tasks().endAsOperator(taskId, TaskOutcome.REVOKED, reason);
        spec.commandLine().getOut().println(TasksCommand.json(ended));
        return 0;
      }
    }
  }
}
