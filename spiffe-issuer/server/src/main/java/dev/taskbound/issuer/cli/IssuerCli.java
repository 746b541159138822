package dev.taskbound.issuer.cli;

/** Placeholder entry point, replaced by the picocli CLI. */
public final class IssuerCli {
  private IssuerCli() {}

  public static void main(String[] args) {
    System.out.println("taskbound-issuer");
  }
}
