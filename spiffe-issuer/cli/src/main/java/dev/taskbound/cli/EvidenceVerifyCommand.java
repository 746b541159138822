package dev.taskbound.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.client.evidence.CredentialStatus;
import dev.taskbound.client.evidence.EvidenceFormat;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.LoggedEvent;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.TaskStatement;
import dev.taskbound.client.evidence.VerificationResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code taskbound evidence verify BUNDLE}: checks a task's evidence bundle offline — checkpoint and statement
 * signatures, one inclusion proof per entry, and that every credential was revoked or expired by the task's end. The
 * bundle of an approval request that never became a task (denied, expired, withdrawn) verifies too and says so.
 */
@Command(name = "verify", description = {
    "Verify a task's evidence bundle with only the log's public key.",
    "Exit 0 when it verifies, 1 (listing every failed check) when it does not, 2 when it cannot be checked."})
final class EvidenceVerifyCommand implements Callable<Integer> {
  @Mixin LogKeyOptions keyOptions;

  @Parameters(index = "0", paramLabel = "BUNDLE", description = "The bundle file (GET /evidence/tasks/{id}), or - for stdin.")
  String bundle;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    VerificationResult result;
    try {
      byte[] bytes = read(bundle);
      NoteKey key = keyOptions.key(err);
      result = EvidenceVerifier.verify(bytes, key);
    } catch (LogKeyOptions.CannotCheck e) {
      err.println("taskbound: " + e.getMessage());
      return EvidenceCommand.CANNOT_CHECK;
    }
    if (result.approvalWithoutTask()) {
      TaskStatement s = result.statement();
      out.printf("evidence verifies: approval request for task %s, which was never issued%n", s.taskId());
      approvals(out, s);
      out.printf("  log:               %s, checkpoint size %d; %d entries (leaves %d..%d), each proven included%n",
          result.checkpoint().origin(), result.checkpoint().size(), s.entries().size(),
          s.entries().get(0).leafIndex(), s.entries().get(s.entries().size() - 1).leafIndex());
      out.printf("  credentials:       none (no task began)%n");
      return EvidenceCommand.VALID;
    }
    if (!result.valid()) {
      out.printf("evidence does NOT verify: %d failed check(s)%n", result.failures().size());
      result.failures().forEach(f -> out.printf("  %s: %s%n", f.check(), f.detail()));
      return EvidenceCommand.INVALID;
    }
    summarise(out, result);
    return EvidenceCommand.VALID;
  }

  private static void summarise(PrintWriter out, VerificationResult result) {
    TaskStatement s = result.statement();
    out.printf("evidence verifies: task %s%n", s.taskId());
    out.printf("  identity:          %s%n", spiffeId(s));
    approvals(out, s);
    out.printf("  outcome:           %s, ended %s%n", s.outcome(), Instant.ofEpochSecond(s.endedAt()));
    out.printf("  log:               %s, checkpoint size %d; %d entries of this task (leaves %d..%d), each proven included%n",
        result.checkpoint().origin(), result.checkpoint().size(), s.entries().size(),
        s.entries().get(0).leafIndex(), s.entries().get(s.entries().size() - 1).leafIndex());
    out.printf("  credentials:       %d issued, every one revoked or expired by the end%n", s.credentials().size());
    for (CredentialStatus c : s.credentials()) {
      out.printf("    %-9s %s%s%n      valid %s .. %s; %s%n", c.kind(), c.credentialId(),
          c.audience() == null ? "" : "  audience " + c.audience(),
          Instant.ofEpochSecond(c.notBefore()), Instant.ofEpochSecond(c.expiresAt()), closure(c, s.endedAt()));
    }
    Long exposure = s.residualExposureSeconds();
    out.printf("  residual exposure: up to %s (how long a copy could still pass a verifier that checks only exp)%n",
        EvidenceSummary.human(Duration.ofSeconds(exposure == null ? 0 : exposure)));
  }

  /** Who asked and who approved, for a task begun under an approval gate: one line per approval event. */
  private static void approvals(PrintWriter out, TaskStatement s) {
    for (LoggedEvent e : s.entries()) {
      JsonNode event = e.event();
      String what =
          switch (e.type()) {
            case EvidenceFormat.APPROVAL_REQUESTED -> "requested by " + event.path("requester").asText("(no actor)")
                + ", for approval by " + event.path("approvers").asText() + " (" + event.path("min_approvers").asInt() + " needed)";
            case EvidenceFormat.APPROVAL_GRANTED -> "approved by " + approver(event);
            case EvidenceFormat.APPROVAL_DENIED -> "denied by " + approver(event) + ": " + event.path("reason").asText();
            case EvidenceFormat.APPROVAL_EXPIRED -> "expired";
            case EvidenceFormat.APPROVAL_WITHDRAWN -> "withdrawn by the caller";
            default -> null;
          };
      if (what != null) {
        out.printf("  approval:          %s at %s%n", what, Instant.ofEpochSecond(event.path(EvidenceFormat.TIME).asLong()));
      }
    }
  }

  private static String approver(JsonNode event) {
    return event.path(EvidenceFormat.APPROVER).asText() + " (vouched for by " + event.path("approver_issuer").asText() + ")";
  }

  private static String closure(CredentialStatus c, long endedAt) {
    String exposure = "residual exposure " + EvidenceSummary.human(Duration.ofSeconds(c.residualExposureSeconds()));
    if (c.revokedAt() != null) {
      return "revoked " + Instant.ofEpochSecond(c.revokedAt()) + ", " + exposure;
    }
    return c.expiresAt() <= endedAt ? "expired before the task ended" : "not revoked, " + exposure;
  }

  private static String spiffeId(TaskStatement s) {
    for (LoggedEvent e : s.entries()) {
      if (EvidenceFormat.TASK_BEGUN.equals(e.type()) && e.event().hasNonNull(EvidenceFormat.SPIFFE_ID)) {
        return e.event().get(EvidenceFormat.SPIFFE_ID).asText();
      }
    }
    return s.credentials().stream().map(CredentialStatus::spiffeId).filter(id -> id != null).findFirst().orElse("(not logged)");
  }

  static byte[] read(String fileOrDash) {
    try {
      if ("-".equals(fileOrDash)) {
        InputStream in = System.in;
        return in.readAllBytes();
      }
      return Files.readAllBytes(Path.of(fileOrDash));
    } catch (IOException e) {
      throw new LogKeyOptions.CannotCheck("cannot read " + fileOrDash + ": " + e.getMessage());
    }
  }
}
