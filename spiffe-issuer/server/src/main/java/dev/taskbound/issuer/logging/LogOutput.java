package dev.taskbound.issuer.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.taskbound.issuer.config.OperationsConfig.LogFormat;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/**
 * Points the root logger at stderr in the configured format. {@link StartupLogConfigurator} starts every process in
 * text; {@code serve} switches to JSON once it has read {@code log.format}, before the issuer logs its first line.
 */
public final class LogOutput {
  /** The text layout: what slf4j-simple printed before, so existing log scrapers keep working. */
  static final String TEXT_PATTERN = "[%thread] %level %logger - %msg%n";
  private static final String APPENDER = "stderr";

  private LogOutput() {}

  /** Replaces the root logger's appenders with one writing {@code format} to stderr. */
  public static void use(LogFormat format) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another backend (e.g. a test harness's): leave it alone
    }
    use(context, format);
  }

  /** As {@link #use(LogFormat)}, on {@code context}. */
  static void use(LoggerContext context, LogFormat format) {
    Encoder<ILoggingEvent> encoder = format == LogFormat.JSON ? json(context) : text(context);
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName(APPENDER);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(appender);
  }

  private static Encoder<ILoggingEvent> json(LoggerContext context) {
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext(context);
    // Only the task fields: anything else a library puts in the MDC stays out of the issuer's log.
    encoder.addIncludeMdcKeyName(TaskLogFields.TASK_ID);
    encoder.addIncludeMdcKeyName(TaskLogFields.SPIFFE_ID);
    encoder.setCustomFields("{\"service\":\"taskbound-issuer\"}");
    encoder.start();
    return encoder;
  }

  private static Encoder<ILoggingEvent> text(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(TEXT_PATTERN);
    encoder.start();
    return encoder;
  }
}
