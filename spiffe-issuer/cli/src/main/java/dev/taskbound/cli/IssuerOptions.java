package dev.taskbound.cli;

import dev.taskbound.api.Attestation;
import dev.taskbound.client.Attestations;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Which issuer to ask, how to trust it and how to prove who is asking; shared by {@code run} and {@code begin}. */
final class IssuerOptions {
  static final String ISSUER_ENV = "TASKBOUND_ISSUER_URL";
  static final String DEV_TOKEN_ENV = "TASKBOUND_DEV_TOKEN";

  @Option(names = "--issuer", paramLabel = "URL", description = "Issuer base URL (default: $TASKBOUND_ISSUER_URL).")
  String issuer;

  @Mixin IssuerCaOption ca;

  @Option(names = "--attestation-type", paramLabel = "T",
      description = "github, oidc:<name> or dev. Default: github in a GitHub Actions job, else dev with a dev token.")
  String attestationType;

  @ArgGroup(exclusive = true)
  TokenSource tokenSource;

  static final class TokenSource {
    @Option(names = "--attestation-token-file", paramLabel = "FILE", description = "Read the attestation token from FILE.")
    Path file;

    @Option(names = "--attestation-token-env", paramLabel = "VAR", description = "Read the attestation token from variable VAR.")
    String variable;

    @Option(names = "--dev-token", paramLabel = "TOKEN", description = "A dev attestation token (dev issuers only; or $TASKBOUND_DEV_TOKEN).")
    String devToken;
  }

  String issuerUrl(Map<String, String> env) {
    String url = issuer != null ? issuer : env.get(ISSUER_ENV);
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("no issuer: pass --issuer URL or set " + ISSUER_ENV);
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The environment variable the token came from, so the child does not inherit a spent attestation token. */
  String tokenVariable() {
    if (tokenSource != null && tokenSource.variable != null) {
      return tokenSource.variable;
    }
    return DEV_TOKEN_ENV;
  }

  Attestation attestation(Map<String, String> env, String issuerUrl) {
    if (tokenSource != null && tokenSource.devToken != null) {
      return Attestations.dev(tokenSource.devToken);
    }
    if (tokenSource != null && (tokenSource.file != null || tokenSource.variable != null)) {
      if (attestationType == null) {
        throw new IllegalArgumentException("--attestation-type is required with a token file or variable (github, oidc:<name>, dev)");
      }
      return tokenSource.file != null
          ? Attestations.fromFile(attestationType, tokenSource.file)
          : Attestations.fromEnv(attestationType, env, tokenSource.variable);
    }
    boolean github = Attestations.inGitHubActions(env);
    if (Attestations.GITHUB.equals(attestationType) || (attestationType == null && github)) {
      return Attestations.fromGitHubActions(env, issuerUrl);
    }
    if ((attestationType == null || Attestations.DEV.equals(attestationType)) && env.get(DEV_TOKEN_ENV) != null) {
      return Attestations.fromEnv(Attestations.DEV, env, DEV_TOKEN_ENV);
    }
    throw new IllegalArgumentException(
        "no attestation: run in a GitHub Actions job with 'id-token: write', or pass --attestation-token-file/--attestation-token-env "
            + "with --attestation-type, or a dev token (--dev-token, $" + DEV_TOKEN_ENV + ")");
  }
}
