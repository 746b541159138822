package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.Issuer;
import java.time.Clock;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code taskbound-issuer bundle}: print the SPIFFE trust bundle (JWKS form, as {@code GET /bundle}) or PEM. */
@Command(name = "bundle", description = "Print the trust bundle.")
final class BundleCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin ConfigOptions options;

  @Option(names = "--format", defaultValue = "jwks", description = "jwks (SPIFFE bundle, default) or pem (X.509 authorities).")
  String format;

  @Override
  public void run() {
    try (Issuer.Offline issuer = Issuer.offline(options.load(), Clock.systemUTC())) {
      switch (format) {
        case "jwks" -> spec.commandLine().getOut().println(issuer.bundleJson());
        case "pem" -> spec.commandLine().getOut().print(issuer.bundlePem());
        default -> throw new CommandLine.ParameterException(spec.commandLine(), "--format must be jwks or pem");
      }
    }
  }
}
