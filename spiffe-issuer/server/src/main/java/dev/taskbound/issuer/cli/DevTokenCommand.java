package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.attest.DevAttestor;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.HumanDuration;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.Stores;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code taskbound-issuer dev-token}: mint single-use dev attestation tokens (dev mode only), one per line. */
@Command(name = "dev-token", description = "Mint a single-use dev attestation token for a dev-mode issuer.")
final class DevTokenCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin ConfigOptions options;

  @Option(names = "--dev", description = "The issuer runs with serve --config FILE --dev: treat the file as dev mode, as serve does.")
  boolean dev;

  @Option(names = "--ttl", defaultValue = "1h", description = "How long the token stays usable (default ${DEFAULT-VALUE}).")
  String ttl;

  @Option(names = "--count", defaultValue = "1", description = "How many tokens to mint, one per line (default ${DEFAULT-VALUE}).")
  int count;

  /** Concurrent minters: the store writer commits their inserts in shared batches. */
  private static final int MINTERS = 32;

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
    if (count < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--count must be at least 1");
    }
    Duration lifetime = HumanDuration.parse(ttl);
    try (Store store = Stores.open(cfg.store(), cfg.dataDir())) {
      DevAttestor dev = new DevAttestor(store, Clock.systemUTC());
      PrintWriter out = spec.commandLine().getOut();
      ExecutorService minters = Executors.newFixedThreadPool(Math.min(count, MINTERS));
      try {
        List<Future<String>> tokens = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          tokens.add(minters.submit(() -> dev.mintToken(lifetime)));
        }
        for (Future<String> token : tokens) {
          out.println(token.get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while minting dev tokens", e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      } finally {
        minters.shutdownNow();
      }
      out.flush();
    }
  }
}
