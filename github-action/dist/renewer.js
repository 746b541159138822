import { createRequire as __taskboundCreateRequire } from 'node:module';
const require = __taskboundCreateRequire(import.meta.url);
import {
  CredentialDirectory,
  STATE_FILE,
  TaskSession
} from "./chunks/chunk-LJOANOAT.js";

// src/renewer.ts
import { existsSync } from "node:fs";
var WATCH_INTERVAL_MS = 2e3;
function renewer() {
  const [path, renewAfter] = process.argv.slice(2);
  const directory = CredentialDirectory.fromPath(path);
  const quiet = { mask: () => void 0, info: () => void 0, warning: () => void 0 };
  const session = TaskSession.resume(directory, quiet);
  if (session === null || !renewAfter) {
    return;
  }
  const stop = () => {
    session.stopRenewing();
    process.exit(0);
  };
  session.startRenewing(renewAfter, stop);
  setInterval(() => {
    if (!existsSync(directory.file(STATE_FILE))) {
      stop();
    }
  }, WATCH_INTERVAL_MS);
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
renewer();
