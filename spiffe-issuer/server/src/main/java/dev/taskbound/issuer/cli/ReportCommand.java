package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.report.AuditReport;
import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.Stores;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code taskbound-issuer report}: the audit report of a period, task-scoped issuance against standing exceptions
 * (see {@link AuditReport}), from the store, as Markdown or JSON.
 */
@Command(name = "report", description = "Audit report: task-scoped issuance vs standing exceptions over a period.")
final class ReportCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin ConfigOptions options;

  @Option(names = "--from", paramLabel = "TIME", converter = TimeConverter.class,
      description = "Start of the period, included: RFC 3339 or a date (UTC midnight). Default: 30 days before --to.")
  Instant from;

  @Option(names = "--to", paramLabel = "TIME", converter = TimeConverter.class,
      description = "End of the period, excluded: RFC 3339 or a date (UTC midnight). Default: now.")
  Instant to;

  @Option(names = "--format", defaultValue = "markdown", description = "markdown (for people) or json (for machines).")
  String format;

  @Option(names = "--output", paramLabel = "FILE", description = "Write the report here instead of to standard output.")
  Path output;

  @Override
  public Integer call() throws IOException {
    Instant now = Clock.systemUTC().instant().truncatedTo(ChronoUnit.MILLIS);
    Instant end = to != null ? to : now;
    Instant start = from != null ? from : end.minus(Duration.ofDays(30));
    if (!format.equals("markdown") && !format.equals("json")) {
      spec.commandLine().getErr().println("--format must be markdown or json");
      return 2;
    }
    if (!start.isBefore(end)) {
      spec.commandLine().getErr().println("--from must be before --to: " + start + " .. " + end);
      return 2;
    }
    IssuerConfig cfg = options.load();
    String text;
    try (JdbcStore store = Stores.open(cfg.store(), cfg.dataDir())) {
      AuditReport report = AuditReport.compile(store, cfg.exceptions(), cfg.trustDomain(), start, end, now);
      text = format.equals("json") ? TasksCommand.json(report.toJson()) + "\n" : report.toMarkdown();
    }
    if (output != null) {
      Files.writeString(output, text, StandardCharsets.UTF_8);
    } else {
      spec.commandLine().getOut().print(text);
      spec.commandLine().getOut().flush();
    }
    return 0;
  }

  /** An RFC 3339 instant, or a date meaning its UTC midnight. */
  static final class TimeConverter implements CommandLine.ITypeConverter<Instant> {
    @Override
    public Instant convert(String value) {
      try {
        return value.length() == 10 ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(value);
      } catch (DateTimeParseException e) {
        throw new CommandLine.TypeConversionException("not an RFC 3339 time (2026-03-31T00:00:00Z) or a date (2026-03-31): " + value);
      }
    }
  }
}
