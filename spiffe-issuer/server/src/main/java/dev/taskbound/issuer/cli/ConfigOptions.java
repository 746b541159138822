package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.IssuerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE} or {@code --data-dir DIR}: how operator commands find the issuer's state. Without a file,
 * the dev defaults apply (SQLite in the data dir), which is what {@code serve --dev} uses.
 */
final class ConfigOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "Issuer configuration (YAML).")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (default: ${DEFAULT-VALUE}).", defaultValue = ConfigLoader.DEFAULT_DATA_DIR)
  Path dataDir;

  IssuerConfig load() {
    return config != null ? ConfigLoader.load(config) : ConfigLoader.dev(dataDir);
  }
}
