package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.ca.CryptoProviders;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code taskbound-issuer version}: the version and the crypto provider that would be active. */
@Command(name = "version", description = "Print the version and the active crypto provider.")
final class VersionCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    String provider = CryptoProviders.install();
    spec.commandLine().getOut().println("taskbound-issuer " + version() + " (java " + Runtime.version() + ", crypto " + provider + ")");
  }

  static String version() {
    return Optional.ofNullable(VersionCommand.class.getPackage().getImplementationVersion()).orElse("dev");
  }

  /** picocli's {@code --version}. */
  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"taskbound-issuer " + version()};
    }
  }
}
