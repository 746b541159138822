package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.IssuerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --config FILE} and {@code --data-dir DIR}, read as {@code serve} reads them: how operator commands find the
 * issuer's state. Without a file, the dev defaults apply (SQLite in the data dir), which is what {@code serve --dev}
 * uses; with one, {@code --data-dir} overrides the file's {@code data_dir}.
 */
final class ConfigOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "Issuer configuration (YAML).")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (default: the file's data_dir, else "
      + ConfigLoader.DEFAULT_DATA_DIR + ").")
  Path dataDir;

  IssuerConfig load() {
    return config != null
        ? ConfigLoader.override(ConfigLoader.load(config), false, null, dataDir)
        : ConfigLoader.dev(dataDir != null ? dataDir : Path.of(ConfigLoader.DEFAULT_DATA_DIR));
  }
}
