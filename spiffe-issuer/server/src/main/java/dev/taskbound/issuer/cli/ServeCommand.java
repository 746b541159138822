package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.logging.LogOutput;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code taskbound-issuer serve}: run the issuer until SIGINT/SIGTERM. */
@Command(name = "serve", description = "Run the issuer.")
final class ServeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "Issuer configuration (YAML); see docs/configuration.md.")
  Path config;

  @Option(names = "--dev", description = "Dev mode: no configuration, SQLite and a generated CA in the data dir, plain HTTP on loopback, dev attestation tokens.")
  boolean dev;

  @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Listen address (dev default 127.0.0.1:8080; port 0 picks one).")
  String listen;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (default .taskbound).")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (config == null && !dev) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give --config FILE, or --dev to run without one");
    }
    IssuerConfig cfg = config != null ? ConfigLoader.load(config) : ConfigLoader.dev(dataDir != null ? dataDir : Path.of(ConfigLoader.DEFAULT_DATA_DIR));
    cfg = ConfigLoader.override(cfg, dev, listen, dataDir);
    // Before the issuer's first line: with log.format json every line on stderr is one JSON object.
    LogOutput.use(cfg.operations().logFormat());
    Issuer issuer = Issuer.start(cfg, Clock.systemUTC());
    // SIGTERM (podman stop, Kubernetes) and SIGINT stop the issuer on this thread: drain, close, exit 0. A shutdown
    // hook alone would run while the JVM is already exiting and end with status 143, which reads as a crash.
    CountDownLatch stopRequested = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> stopRequested.countDown());
    }
    // Backstop for other ways out (SIGHUP, System.exit elsewhere): still close the store and the log.
    Runtime.getRuntime().addShutdownHook(new Thread(issuer::close, "taskbound-shutdown"));
    out.println("Taskbound issuer listening on " + issuer.url());
    out.println("trust domain " + issuer.config().trustDomain() + ", data in " + issuer.config().dataDir().toAbsolutePath());
    if (issuer.config().dev()) {
      // The developer needs this once, on their own terminal; it is single use and never logged.
      out.println("dev attestation token (single use, 1h): " + issuer.mintDevToken(Duration.ofHours(1)));
      out.println("operator login link (single use, 1h): " + issuer.devLoginLink());
      // The same store as this issuer: the file's (SQLite or PostgreSQL) when there is one.
      out.println("more tokens: taskbound-issuer dev-token "
          + (config != null ? "--config " + config + (dev ? " --dev" : "") + (dataDir != null ? " --data-dir " + dataDir : "")
              : "--data-dir " + issuer.config().dataDir()));
    }
    out.flush();
    stopRequested.await();
    out.println("stopping: draining requests in flight");
    out.flush();
    issuer.close();
    out.println("stopped");
    out.flush();
    return 0;
  }
}
