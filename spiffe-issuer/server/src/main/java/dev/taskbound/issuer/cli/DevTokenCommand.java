package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.attest.DevAttestor;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.HumanDuration;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.Stores;
import java.time.Clock;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code taskbound-issuer dev-token}: mint a single-use dev attestation token (dev mode only). */
@Command(name = "dev-token", description = "Mint a single-use dev attestation token for a dev-mode issuer.")
final class DevTokenCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin ConfigOptions options;

  @Option(names = "--dev", description = "The issuer runs with serve --config FILE --dev: treat the file as dev mode, as serve does.")
  boolean dev;

  @Option(names = "--ttl", defaultValue = "1h", description = "How long the token stays usable (default ${DEFAULT-VALUE}).")
  String ttl;

  @Override
  public void run() {
    IssuerConfig cfg = options.load();
    if (dev) {
      cfg = ConfigLoader.override(cfg, true, null, null);
    }
    if (!cfg.dev()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "dev tokens exist in dev mode only; this configuration is not dev (add --dev if serve runs it with --dev)");
    }
    try (Store store = Stores.open(cfg.store(), cfg.dataDir())) {
      spec.commandLine().getOut().println(new DevAttestor(store, Clock.systemUTC()).mintToken(HumanDuration.parse(ttl)));
    }
  }
}
