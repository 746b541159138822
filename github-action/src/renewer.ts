import { existsSync } from 'node:fs';
import { CredentialDirectory, STATE_FILE } from './credential-directory.js';
import { TaskSession } from './task-session.js';

/**
 * The detached renewer of the job-scoped mode (started by main, stopped by post or the end action). It has no log:
 * the step that started it is over. It exits when the task's state file is gone or the issuer refuses to renew.
 */
const WATCH_INTERVAL_MS = 2_000;

function renewer(): void {
  const [path, renewAfter] = process.argv.slice(2);
  const directory = CredentialDirectory.fromPath(path);
  const quiet = { mask: () => undefined, info: () => undefined, warning: () => undefined };
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
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

renewer();
