import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * The step's command in its own process group, stopped as a whole on cancellation. The runner cancels a step by
 * signalling only the action's process (SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that: actions/runner
 * ProcessInvoker); a shell waiting on a child may defer SIGINT, and a child may ignore it, so the action repeats
 * that schedule on the whole group, and kills the group before the runner kills the action, which must still end
 * the task.
 */
export const SIGTERM_AFTER_MS = 7_500;
/** After our (or the runner's) SIGTERM; the runner kills the action 2.5 s after its SIGTERM. */
export const SIGKILL_AFTER_SIGTERM_MS = 1_500;
/** How often the group is checked for survivors once its leader has exited after a cancellation. */
const GROUP_POLL_MS = 100;
/** A process stuck in the kernel can outlive SIGKILL for a moment; after this, the task is ended regardless. */
const AFTER_SIGKILL_WAIT_MS = 1_000;

export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  startError: Error | null;
  /** The signal the action received and forwarded, i.e. the job was cancelled. */
  cancelledBy: NodeJS.Signals | null;
  /** After a cancellation: false when some process of the group outlived SIGKILL (seen in the log). */
  groupStopped: boolean;
}

export interface GroupLog {
  info(message: string): void;
  warning(message: string): void;
}

/**
 * Runs `file args` in a new process group (setsid) with the action's stdio, and resolves when it has exited — and,
 * after a cancellation, when no process of its group is left (or SIGKILL did what it could).
 */
export function runInProcessGroup(
  file: string,
  args: string[],
  cwd: string | null,
  env: NodeJS.ProcessEnv,
  log: GroupLog,
): Promise<CommandExit> {
  return new Promise((resolve) => {
    let cancelledBy: NodeJS.Signals | null = null;
    let termTimer: NodeJS.Timeout | null = null;
    let killTimer: NodeJS.Timeout | null = null;
    let killedAt: number | null = null;
    let leaderExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;

    const child = spawn(file, args, { cwd: cwd ?? undefined, env, stdio: 'inherit', detached: true });
    const pgid = child.pid;

    const sendKill = () => {
      killTimer = null;
      if (pgid !== undefined && groupAlive(pgid)) {
        log.warning(`Taskbound: the command's processes outlived SIGTERM; sending SIGKILL to its process group`);
        signalGroup(pgid, 'SIGKILL');
      }
      killedAt = Date.now();
    };
    const sendTerm = (why: string) => {
      if (termTimer !== null) {
        clearTimeout(termTimer);
        termTimer = null;
      }
      if (pgid !== undefined && groupAlive(pgid)) {
        log.info(`Taskbound: ${why}; sending SIGTERM to the command's process group`);
        signalGroup(pgid, 'SIGTERM');
      }
      if (killTimer === null && killedAt === null) {
        killTimer = setTimeout(sendKill, SIGKILL_AFTER_SIGTERM_MS);
      }
    };
    const onSignal = (signal: NodeJS.Signals) => {
      const first = cancelledBy === null;
      cancelledBy ??= signal;
      if (pgid === undefined) {
        return;
      }
      if (signal === 'SIGTERM') {
        sendTerm('the runner sent SIGTERM');
      } else if (first) {
        signalGroup(pgid, signal);
        termTimer = setTimeout(() => sendTerm(`the command's processes outlived ${signal}`), SIGTERM_AFTER_MS);
      }
    };
    const onSigint = () => onSignal('SIGINT');
    const onSigterm = () => onSignal('SIGTERM');
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);

    const settle = (e: Omit<CommandExit, 'cancelledBy' | 'groupStopped'>, groupStopped: boolean) => {
      if (settled) {
        return;
      }
      settled = true;
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
      for (const t of [termTimer, killTimer]) {
        if (t !== null) {
          clearTimeout(t);
        }
      }
      resolve({ ...e, cancelledBy, groupStopped });
    };
    // Without a cancellation the command's background processes are left as a plain step leaves them (the runner
    // reaps orphans at the end of the job); they hold no usable credential once the task has ended.
    const waitForGroup = () => {
      if (leaderExit === null) {
        return;
      }
      if (cancelledBy === null || pgid === undefined || !groupAlive(pgid)) {
        return settle({ ...leaderExit, startError: null }, true);
      }
      if (killedAt !== null && Date.now() - killedAt >= AFTER_SIGKILL_WAIT_MS) {
        log.warning(`Taskbound: some of the command's processes outlived SIGKILL (stuck in the kernel?)`);
        return settle({ ...leaderExit, startError: null }, false);
      }
      setTimeout(waitForGroup, GROUP_POLL_MS);
    };
    child.once('error', (startError) => settle({ code: null, signal: null, startError }, true));
    child.once('exit', (code, signal) => {
      leaderExit = { code, signal };
      waitForGroup();
    });
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * True while a process of group `pgid` is alive. Zombies do not count: in a container whose init does not reap,
 * a killed orphan stays a zombie forever, yet it runs nothing. Without /proc (macOS), any member counts.
 */
export function groupAlive(pgid: number): boolean {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') {
      return true;
    }
  }
  return false;
}
