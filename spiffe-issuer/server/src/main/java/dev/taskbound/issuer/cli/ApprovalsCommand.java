package dev.taskbound.issuer.cli;

import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.store.ApprovalRecord;
import dev.taskbound.issuer.store.ApprovalState;
import dev.taskbound.issuer.task.ApprovalRequests;
import dev.taskbound.issuer.task.TaskException;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code taskbound-issuer approvals list|approve|deny}: approval requests straight from the store. The approver is
 * named with {@code --as} (vouched for by whoever may run this command); the running issuer logs the decision.
 */
@Command(
    name = "approvals",
    description = "List, approve and deny approval requests.",
    subcommands = {ApprovalsCommand.ListApprovals.class, ApprovalsCommand.Approve.class, ApprovalsCommand.Deny.class})
final class ApprovalsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "list", description = "List approval requests, newest first.")
  static final class ListApprovals implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin ConfigOptions options;

    @Option(names = "--pending", description = "Only those waiting for approvers.")
    boolean pending;

    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public void run() {
      PrintWriter out = spec.commandLine().getOut();
      try (Issuer.Offline issuer = Issuer.offline(options.load(), Clock.systemUTC())) {
        List<ApprovalRecord> approvals = issuer.tasks().approvals().list(pending ? ApprovalState.PENDING : null, limit);
        out.printf("%-30s %-9s %-20s %-9s %-16s %-25s %s%n", "APPROVAL", "STATE", "APPROVERS", "APPROVED", "REQUESTER", "EXPIRES", "SPIFFE ID");
        for (ApprovalRecord a : approvals) {
          out.printf(
              "%-30s %-9s %-20s %-9s %-16s %-25s %s%n", a.approvalId(), a.state().name().toLowerCase(Locale.ROOT),
              a.approvers(), a.approvedBy().size() + "/" + a.minApprovers(), a.requester() == null ? "-" : a.requester(),
              a.expiresAt(), a.spiffeId());
        }
      }
    }
  }

  /** Approve and deny: one decision by {@code --as}, reported as the request's state after it. */
  abstract static class Decide implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin ConfigOptions options;

    @Parameters(paramLabel = "APPROVAL_ID")
    String approvalId;

    @Option(names = "--as", required = true, paramLabel = "NAME", description = "The approver's name, as recorded in the evidence.")
    String approver;

    Integer decide(BiFunction<ApprovalRequests, ApprovalRequests.Approver, ApprovalRecord> decision) {
      try (Issuer.Offline issuer = Issuer.offline(options.load(), Clock.systemUTC())) {
        ApprovalRecord after =
            decision.apply(issuer.tasks().approvals(), new ApprovalRequests.Approver(ApprovalRequests.CLI_ISSUER, approver));
        spec.commandLine().getOut().printf(
            "%s %s (%d/%d approvals)%n", after.approvalId(), after.state().name().toLowerCase(Locale.ROOT),
            after.approvedBy().size(), after.minApprovers());
        return 0;
      } catch (TaskException e) {
        spec.commandLine().getErr().println(e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "approve", description = "Approve a pending request as NAME (never one's own).")
  static final class Approve extends Decide {
    @Override
    public Integer call() {
      return decide((approvals, who) -> approvals.approve(approvalId, who));
    }
  }

  @Command(name = "deny", description = "Deny a pending request as NAME, with a reason.")
  static final class Deny extends Decide {
    @Option(names = "--reason", required = true, description = "Why, for the requester and the record.")
    String reason;

    @Override
    public Integer call() {
      return decide((approvals, who) -> approvals.deny(approvalId, who, reason));
    }
  }
}
