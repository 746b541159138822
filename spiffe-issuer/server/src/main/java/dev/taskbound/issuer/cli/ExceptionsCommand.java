package dev.taskbound.issuer.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.admin.ExceptionsApi;
import dev.taskbound.issuer.config.HumanDuration;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.evidence.ExceptionEvents;
import dev.taskbound.issuer.exceptions.StandingExceptions;
import dev.taskbound.issuer.store.ExceptionRecord;
import dev.taskbound.issuer.store.ExceptionState;
import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.Stores;
import dev.taskbound.issuer.task.TaskException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code taskbound-issuer exceptions add|list|review|revoke}: the standing-privilege exception register straight
 * from the store. The operator is named with {@code --as} (vouched for by whoever may run this command); the
 * running issuer logs each change ({@code operator_issuer: cli}).
 */
@Command(
    name = "exceptions",
    description = "Add, list, review and revoke standing-privilege exceptions.",
    subcommands = {
      ExceptionsCommand.Add.class, ExceptionsCommand.ListExceptions.class, ExceptionsCommand.Review.class,
      ExceptionsCommand.Revoke.class
    })
final class ExceptionsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** One operator command on the register: exit 0, or 1 with the reason when the register refuses. */
  abstract static class OnRegister implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin ConfigOptions options;

    @Option(names = "--json", description = "Print the exception(s) as JSON, as the admin API shows them.")
    boolean json;

    Integer onRegister(Function<StandingExceptions, Object> action) {
      IssuerConfig cfg = options.load();
      try (JdbcStore store = Stores.open(cfg.store(), cfg.dataDir())) {
        Object result = action.apply(new StandingExceptions(store, null, cfg.exceptions(), Clock.systemUTC()));
        PrintWriter out = spec.commandLine().getOut();
        if (result instanceof StandingExceptions.View v) {
          out.println(json ? TasksCommand.json(ExceptionsApi.view(v)) : summary(v));
        }
        return 0;
      } catch (TaskException e) {
        spec.commandLine().getErr().println(e.getMessage());
        return 1;
      }
    }

    static ExceptionEvents.Actor operator(String name) {
      return new ExceptionEvents.Actor(StandingExceptions.CLI_ISSUER, name, "operator");
    }
  }

  /** {@code --expires TIME} or {@code --expires-in DURATION}; a value that does not parse is a usage error. */
  static final class Expiry {
    @Option(names = "--expires", paramLabel = "TIME", converter = InstantConverter.class,
        description = "Expiry, RFC 3339 (e.g. 2026-03-31T00:00:00Z).")
    Instant at;

    @Option(names = "--expires-in", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Expiry from now, e.g. 30d, 12h.")
    Duration in;

    Instant instant(Clock clock) {
      return at != null ? at : clock.instant().plus(in);
    }
  }

  static final class InstantConverter implements CommandLine.ITypeConverter<Instant> {
    @Override
    public Instant convert(String value) {
      try {
        return Instant.parse(value);
      } catch (DateTimeParseException e) {
        throw new CommandLine.TypeConversionException("not an RFC 3339 UTC time such as 2026-03-31T00:00:00Z: " + value);
      }
    }
  }

  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return HumanDuration.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  @Command(name = "add", description = "Register a standing privilege with an owner, a reason and an expiry.")
  static final class Add extends OnRegister {
    @Option(names = "--identity", required = true, description = "The standing identity or credential, e.g. 'AWS IAM user deploy-bot'.")
    String identity;

    @Option(names = "--scope", required = true, description = "What it may do, and where.")
    String scope;

    @Option(names = "--owner", required = true, description = "Who answers for it.")
    String owner;

    @Option(names = "--reason", required = true, description = "Why it cannot be task-scoped yet.")
    String reason;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Expiry expiry;

    @Option(names = "--as", required = true, paramLabel = "NAME", description = "The operator's name, as recorded in the evidence.")
    String as;

    @Override
    public Integer call() {
      return onRegister(
          register -> register.add(
              new StandingExceptions.Addition(identity, scope, owner, reason, expiry.instant(Clock.systemUTC())), operator(as)));
    }
  }

  @Command(name = "list", description = "List standing exceptions, newest first, with where each stands now.")
  static final class ListExceptions extends OnRegister {
    @Option(names = "--state", paramLabel = "STATE", description = "Only those active, expiring, expired, unreviewed or revoked.")
    String state;

    @Option(names = "--limit", defaultValue = "100", description = "At most this many (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
      ExceptionState wanted = state == null ? null : ExceptionState.fromWire(state);
      if (state != null && wanted == null) {
        spec.commandLine().getErr().println("--state must be one of active, expiring, expired, unreviewed, revoked");
        return 2;
      }
      return onRegister(register -> {
        List<StandingExceptions.View> views = register.list(wanted, limit);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
          ArrayNode list = ApiJson.mapper().createArrayNode();
          views.forEach(v -> list.add(ExceptionsApi.view(v)));
          out.println(TasksCommand.json(list));
          return null;
        }
        out.printf("%-30s %-10s %-20s %-25s %-25s %s%n", "EXCEPTION", "STATE", "OWNER", "EXPIRES", "REVIEW DUE", "IDENTITY");
        for (StandingExceptions.View v : views) {
          ExceptionRecord e = v.record();
          out.printf(
              "%-30s %-10s %-20s %-25s %-25s %s%n", e.exceptionId(), v.state().wire(), e.owner(), e.expiresAt(),
              e.revoked() ? "-" : v.reviewDueAt(), e.identity());
        }
        return null;
      });
    }
  }

  @Command(name = "review", description = "Record a review as NAME, optionally moving the expiry (an expired exception needs one).")
  static final class Review extends OnRegister {
    @Parameters(paramLabel = "EXCEPTION_ID")
    String exceptionId;

    @Option(names = "--as", required = true, paramLabel = "NAME", description = "The reviewer's name, as recorded in the evidence.")
    String as;

    @Option(names = "--note", description = "What the review found.")
    String note;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Expiry expiry;

    @Override
    public Integer call() {
      return onRegister(
          register -> register.review(exceptionId, operator(as), note, expiry == null ? null : expiry.instant(Clock.systemUTC())));
    }
  }

  @Command(name = "revoke", description = "End an exception as NAME, with a reason (the privilege is gone, or no longer accepted).")
  static final class Revoke extends OnRegister {
    @Parameters(paramLabel = "EXCEPTION_ID")
    String exceptionId;

    @Option(names = "--as", required = true, paramLabel = "NAME", description = "The operator's name, as recorded in the evidence.")
    String as;

    @Option(names = "--reason", required = true, description = "Why, for the record.")
    String reason;

    @Override
    public Integer call() {
      return onRegister(register -> register.revoke(exceptionId, operator(as), reason));
    }
  }

  static String summary(StandingExceptions.View v) {
    ExceptionRecord e = v.record();
    String what = e.revoked() ? "revoked" : e.version() == 1 ? "added" : "reviewed";
    return e.exceptionId() + " " + what + ": " + v.state().wire() + ", expires " + e.expiresAt()
        + (e.revoked() ? "" : ", review due " + v.reviewDueAt());
  }
}
