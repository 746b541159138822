import { createRequire as __taskboundCreateRequire } from 'node:module';
const require = __taskboundCreateRequire(import.meta.url);
import {
  loadState
} from "./chunks/chunk-M65JJY67.js";
import {
  actionHooks,
  endAndReport,
  info,
  setFailed,
  stopRenewer
} from "./chunks/chunk-P2F4KLBR.js";
import {
  CredentialDirectory,
  TaskSession,
  errorMessage
} from "./chunks/chunk-TASYJ3MT.js";

// src/post.ts
async function post() {
  const saved = loadState();
  if (saved === null) {
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
    await endAndReport(session, "job", "succeeded", "the job ended", "post, at the end of the job");
  }
}
post().catch((e) => setFailed(`Taskbound: ${errorMessage(e)}`));
