package dev.taskbound.issuer.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.config.OperationsConfig.LogFormat;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * The log configuration every process starts with, in code: what {@code logback.xml} configured before (text on
 * stderr, INFO and above, Logback's status messages silenced), and {@code log.format: json} still switching to JSON.
 */
class StartupLogConfiguratorTest {
  @Test
  void logbackFindsTheConfiguratorAsAService() {
    assertThat(ServiceLoader.load(Configurator.class).stream().map(ServiceLoader.Provider::type))
        .containsExactly(StartupLogConfigurator.class);
  }

  @Test
  void linesAreTextOnStderrAtInfoAndAbove() {
    LoggerContext context = configured();
    Logger log = context.getLogger("dev.taskbound.Example");

    String stderr = stderrOf(() -> {
      log.debug("not shown");
      log.info("begun {}", "t-1");
      log.warn("slow");
    });

    String thread = Thread.currentThread().getName();
    assertThat(stderr)
        .isEqualTo("[" + thread + "] INFO dev.taskbound.Example - begun t-1\n"
            + "[" + thread + "] WARN dev.taskbound.Example - slow\n");
    assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
    assertThat(context.getStatusManager().getCopyOfStatusListenerList()).hasSize(1);
  }

  @Test
  void jsonFormatReplacesTheTextLines() throws Exception {
    LoggerContext context = configured();
    LogOutput.use(context, LogFormat.JSON);

    String stderr = stderrOf(() -> context.getLogger("dev.taskbound.Example").info("begun"));

    assertThat(stderr.lines()).hasSize(1);
    JsonNode line = ApiJson.mapper().readTree(stderr);
    assertThat(line.path("message").asText()).isEqualTo("begun");
    assertThat(line.path("level").asText()).isEqualTo("INFO");
    assertThat(line.path("logger_name").asText()).isEqualTo("dev.taskbound.Example");
    assertThat(line.path("service").asText()).isEqualTo("taskbound-issuer");
  }

  @Test
  void anOperatorsConfigurationFileIsLeftToLogback() {
    LoggerContext context = new LoggerContext();
    StartupLogConfigurator configurator = new StartupLogConfigurator();
    configurator.setContext(context);
    System.setProperty(ClassicConstants.CONFIG_FILE_PROPERTY, "/etc/taskbound/logback.xml");
    try {
      assertThat(configurator.configure(context)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
    } finally {
      System.clearProperty(ClassicConstants.CONFIG_FILE_PROPERTY);
    }
    assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext()).isFalse();
  }

  /** A context as Logback's start-up leaves it with this configurator: configured, then started. */
  private static LoggerContext configured() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    StartupLogConfigurator configurator = new StartupLogConfigurator();
    configurator.setContext(context);
    assertThat(configurator.configure(context)).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    context.start();
    return context;
  }

  /** What {@code logging} writes to stderr (the appender writes to whatever {@code System.err} is at the time). */
  private static String stderrOf(Runnable logging) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      logging.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
