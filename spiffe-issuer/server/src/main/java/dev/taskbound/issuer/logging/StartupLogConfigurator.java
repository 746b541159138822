package dev.taskbound.issuer.logging;

import ch.qos.logback.classic.ClassicConstants;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import dev.taskbound.issuer.config.OperationsConfig.LogFormat;

/**
 * Logback's configuration when a process starts, found through {@code META-INF/services}: text on stderr at INFO,
 * Logback's own status messages silenced. Written in code rather than in {@code logback.xml} because reading the XML
 * (Joran and the JDK's XML parser, some 600 classes) took a tenth of the issuer's start-up. An operator's
 * {@code -Dlogback.configurationFile} is still read, by Logback's own configurators.
 */
public final class StartupLogConfigurator extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty(ClassicConstants.CONFIG_FILE_PROPERTY) != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    context.getStatusManager().add(new NopStatusListener());
    context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
    LogOutput.use(context, LogFormat.TEXT);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
