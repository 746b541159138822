package dev.taskbound.cli;

import dev.taskbound.client.EndResult;
import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.RevocationReceipt;
import dev.taskbound.client.evidence.SignedNote;
import java.io.PrintStream;
import java.time.Duration;

/** The lines printed to stderr when a task ends: what was issued to whom, what was taken back, what remains. */
final class EvidenceSummary {
  private EvidenceSummary() {}

  static void print(PrintStream err, String spiffeId, EndResult r, Duration retriedFor) {
    if (r.ended()) {
      var resp = r.response();
      err.printf("taskbound: task %s ended: %s%n", r.taskId(), resp.outcome());
      err.printf("taskbound:   identity:            %s%n", spiffeId);
      err.printf("taskbound:   credentials revoked: %d at %s%n", r.revokedCount(), resp.endedAt());
      err.printf("taskbound:   residual exposure:   up to %s (how long a copy could still pass a verifier that checks only exp)%n",
          human(r.residualExposure()));
      if (r.evidenceUrl() != null) {
        err.printf("taskbound:   evidence:            %s%n", r.evidenceUrl());
      }
      if (r.receiptVerified()) {
        RevocationReceipt receipt = r.verifiedReceipt();
        err.printf("taskbound:   receipt:             verified with the log key: task.ended is leaf %d of checkpoint size %d%n",
            receipt.taskEndedLeafIndex(), Checkpoint.parseBody(SignedNote.parse(receipt.checkpoint()).body()).size());
      } else if (r.receiptFailure() != null) {
        err.printf("taskbound:   receipt:             DOES NOT VERIFY with the log key: %s%n", r.receiptFailure());
      } else if (r.receipt() != null) {
        err.printf("taskbound:   receipt:             signed by the issuer (not checked: pass --evidence-key FILE)%n");
      }
    } else {
      err.printf("taskbound: could NOT end task %s (%s) after %d attempt(s) over %s: %s%n",
          r.taskId(), r.requestedOutcome(), r.attempts(), human(retriedFor), r.failure().getMessage());
      err.printf("taskbound:   identity %s stays active at the issuer until its heartbeat lapses; the issuer's reaper then "
          + "ends it as abandoned and revokes its credentials. The local credential files are deleted.%n", spiffeId);
    }
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    if (s < 60) {
      return s + "s";
    }
    return s < 3600 ? (s / 60) + "m" + (s % 60) + "s" : (s / 3600) + "h" + (s % 3600 / 60) + "m";
  }
}
