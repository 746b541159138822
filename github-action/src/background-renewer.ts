import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CredentialDirectory } from './credential-directory.js';

/**
 * The job-scoped mode's renewer: a detached node process (dist/renewer.js) that outlives the step and keeps the
 * files fresh at each `renew_after`, so the issuer's heartbeat reaper does not end the task while later steps run.
 */
const PID_FILE = '.taskbound-renewer.pid';
const RENEWER_SCRIPT = 'renewer.js';

export function startRenewer(directory: CredentialDirectory, renewAfter: string): number | undefined {
  // Next to the entry point that runs (dist/main.js); this module itself may sit in a shared chunk elsewhere.
  const script = join(dirname(process.argv[1]), RENEWER_SCRIPT);
  const child = spawn(process.execPath, [script, directory.path, renewAfter], { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid !== undefined) {
    directory.writeAtomically(PID_FILE, String(child.pid));
  }
  return child.pid;
}

/** Stops the renewer of `directory`, if one runs; only a process that is our renewer is signalled. */
export function stopRenewer(directory: CredentialDirectory): void {
  const pidFile = directory.file(PID_FILE);
  if (!existsSync(pidFile)) {
    return;
  }
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !isOurRenewer(pid)) {
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

// A pid can be reused after the renewer exits; check its command line where /proc tells us.
function isOurRenewer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(RENEWER_SCRIPT);
  } catch {
    // No /proc (macOS runners): the pid file is all we have. With /proc, an unreadable entry means it is gone.
    return !existsSync('/proc/self');
  }
}

