package dev.taskbound.cli;

import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.evidence.InvalidEvidenceException;
import dev.taskbound.client.evidence.NoteKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where the evidence log's verifier key comes from: a pinned file (trust decided once, out of band) or the issuer
 * itself (trust only as good as that TLS connection). With both, the file is the key and the issuer is only asked
 * for proofs.
 */
final class LogKeyOptions {
  @Option(names = "--issuer-key", paramLabel = "FILE",
      description = "The log's verifier key (name+hash+base64, as GET /evidence/key serves it). Pin this.")
  Path keyFile;

  @Option(names = "--issuer", paramLabel = "URL",
      description = "Issuer base URL: fetch the key from it when no --issuer-key is given (trust = that TLS connection).")
  String issuer;

  @Mixin IssuerCaOption ca;

  /** The key to verify with; tells {@code err} when it was fetched rather than pinned. */
  NoteKey key(PrintWriter err) {
    if (keyFile != null) {
      return readKeyFile(keyFile);
    }
    if (issuer == null) {
      throw new CannotCheck("no log key: pass --issuer-key FILE (recommended) or --issuer URL");
    }
    String text;
    try {
      text = issuerClient().evidenceKey();
    } catch (IssuerException e) {
      throw new CannotCheck("cannot fetch the log key: " + e.getMessage());
    }
    NoteKey key = parse(text, issuer + "/evidence/key");
    err.printf("taskbound: using the log key %s fetched from %s; that is only as trustworthy as the connection "
        + "(pin it with --issuer-key)%n", key.name(), issuer);
    return key;
  }

  /** The issuer to ask for proofs, or null when none was named. */
  IssuerClient issuerClient() {
    return issuer == null ? null : ca.client(issuer);
  }

  static NoteKey readKeyFile(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CannotCheck("cannot read the key file " + file + ": " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  private static NoteKey parse(String text, String from) {
    try {
      return NoteKey.parse(text);
    } catch (InvalidEvidenceException e) {
      throw new CannotCheck(from + " is not a log verifier key: " + e.getMessage());
    }
  }

  /** The check could not run at all (bad input, unreachable issuer): exit 2, not a verdict. */
  static final class CannotCheck extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CannotCheck(String message) {
      super(message);
    }
  }
}
