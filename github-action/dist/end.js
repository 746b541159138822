import { createRequire as __taskboundCreateRequire } from 'node:module';
const require = __taskboundCreateRequire(import.meta.url);
import {
  actionHooks,
  endAndReport,
  getInput,
  info,
  setFailed,
  stopRenewer,
  warning
} from "./chunks/chunk-P2F4KLBR.js";
import {
  CredentialDirectory,
  TaskSession,
  errorMessage
} from "./chunks/chunk-TASYJ3MT.js";

// src/end.ts
var OUTCOMES = ["succeeded", "failed", "aborted", "timed_out"];
async function end() {
  const outcome = getInput("outcome") || "succeeded";
  if (!OUTCOMES.includes(outcome)) {
    throw new Error(`outcome must be one of ${OUTCOMES.join(", ")}, got '${outcome}'`);
  }
  const path = getInput("svid-dir") || process.env.TASKBOUND_SVID_DIR || "";
  if (path === "") {
    warning("Taskbound: no job-scoped task to end (TASKBOUND_SVID_DIR is not set; did the main action run without `run:`?)");
    return;
  }
  const directory = CredentialDirectory.fromPath(path);
  const session = TaskSession.resume(directory, actionHooks);
  if (session === null) {
    info("Taskbound: the task has already ended");
    return;
  }
  stopRenewer(directory);
  await endAndReport(session, "job", outcome, getInput("reason") || "ended by the end action", "the end action");
}
end().catch((e) => setFailed(`Taskbound: ${errorMessage(e)}`));
