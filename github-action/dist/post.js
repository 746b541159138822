import { createRequire as __taskboundCreateRequire } from 'node:module';
const require = __taskboundCreateRequire(import.meta.url);
import {
  actionHooks,
  endAndReport,
  getInput,
  info,
  loadApprovalState,
  loadState,
  readInputs,
  setFailed,
  stopRenewer,
  warning
} from "./chunks/chunk-CU77OTFE.js";
import {
  CredentialDirectory,
  IssuerClient,
  TaskSession,
  errorMessage
} from "./chunks/chunk-LJOANOAT.js";

// src/job-outcome.ts
function jobOutcome(status) {
  switch (status.trim().toLowerCase()) {
    case "success":
      return { outcome: "succeeded", reason: "the job ended: success", known: true };
    case "failure":
      return { outcome: "failed", reason: "the job ended: failure", known: true };
    case "cancelled":
      return { outcome: "aborted", reason: "the job ended: cancelled", known: true };
    default:
      return {
        outcome: "failed",
        reason: `the job ended with an unknown status (${status.trim() === "" ? "job-status empty" : status.trim().slice(0, 40)}); recorded as failed`,
        known: false
      };
  }
}

// src/post.ts
async function post() {
  const saved = loadState();
  if (saved === null) {
    await withdrawPendingApproval();
    info("Taskbound: no task was begun; nothing to end");
    return;
  }
  const directory = CredentialDirectory.fromPath(saved.directory);
  const session = TaskSession.resume(directory, actionHooks);
  if (session === null) {
    info(`Taskbound: task ${saved.taskId} has already ended`);
    return;
  }
  stopRenewer(directory);
  if (saved.scope === "step") {
    await endAndReport(session, "step", "aborted", "the step's process stopped before it ended its task", "post, as a backstop");
  } else {
    const { outcome, reason, known } = jobOutcome(getInput("job-status"));
    (known ? info : warning)(`Taskbound: ${reason}`);
    await endAndReport(session, "job", outcome, reason, "post, at the end of the job");
  }
}
async function withdrawPendingApproval() {
  const pending = loadApprovalState();
  if (pending === null) {
    return;
  }
  try {
    const view = await new IssuerClient(readInputs().issuerUrl).withdraw(pending.approvalId, pending.requestToken);
    info(`Taskbound: approval request ${pending.approvalId} ${view.status}: no task was issued`);
  } catch (e) {
    info(`Taskbound: approval request ${pending.approvalId} not withdrawn (${errorMessage(e)}); it was decided already or expires on its own`);
  }
}
post().catch((e) => setFailed(`Taskbound: ${errorMessage(e)}`));
