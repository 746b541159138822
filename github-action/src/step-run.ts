import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { ActionInputs } from './inputs.js';
import type { Outcome } from './issuer-client.js';
import { shellCommand } from './shell-command.js';
import { endAndReport } from './task-ending.js';
import type { TaskSession } from './task-session.js';

/** How long the command may take to stop after a cancellation signal; the runner escalates after ~7.5 s. */
const STOP_GRACE_MS = 5_000;
/** Ending after a cancellation must fit in what the runner still allows. */
const END_RETRY_ON_CANCEL_SECONDS = 2;

interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  startError: Error | null;
  /** The signal the action received and forwarded, i.e. the job was cancelled. */
  cancelledBy: NodeJS.Signals | null;
}

/**
 * The step-scoped mode: runs `run` with the task's credentials, renewing while it runs, and ends the task with
 * the command's outcome when it stops — succeeded, failed, or aborted on cancellation — so the credentials never
 * outlive the step.
 */
export async function runStepScoped(inputs: ActionInputs, session: TaskSession, runnerTemp: string): Promise<void> {
  const svids = session.svids;
  if (svids !== null) {
    session.startRenewing(svids.renew_after, (reason) => core.warning(`Taskbound: renewal stopped: ${reason}`));
  }
  const scriptDir = mkdtempSync(join(runnerTemp, 'taskbound-run-'));
  let exit: CommandExit;
  try {
    const command = shellCommand(inputs.shell, join(scriptDir, 'run'));
    writeFileSync(command.scriptPath, inputs.run ?? '', { mode: 0o600 });
    exit = await runCommand(command.file, command.args, inputs.workingDirectory, {
      ...process.env,
      ...session.environment(),
    });
  } finally {
    rmSync(scriptDir, { recursive: true, force: true });
  }
  const { outcome, reason } = describe(exit);
  await endAndReport(
    session,
    'step',
    outcome,
    reason,
    'the step',
    exit.cancelledBy !== null ? END_RETRY_ON_CANCEL_SECONDS : undefined,
  );
  if (outcome !== 'succeeded') {
    core.setFailed(`Taskbound: ${reason}`);
  }
}

function runCommand(file: string, args: string[], cwd: string | null, env: NodeJS.ProcessEnv): Promise<CommandExit> {
  return new Promise((resolve) => {
    let cancelledBy: NodeJS.Signals | null = null;
    let settled = false;
    // Its own process group, so a cancellation reaches the whole command tree, not just the shell.
    const child = spawn(file, args, { cwd: cwd ?? undefined, env, stdio: 'inherit', detached: true });
    const forward = (signal: NodeJS.Signals) => {
      cancelledBy ??= signal;
      signalGroup(child, signal);
      setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_GRACE_MS).unref();
    };
    const onSigint = () => forward('SIGINT');
    const onSigterm = () => forward('SIGTERM');
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigterm);
    const settle = (e: CommandExit) => {
      if (!settled) {
        settled = true;
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
        resolve(e);
      }
    };
    child.once('error', (startError) => settle({ code: null, signal: null, startError, cancelledBy }));
    child.once('exit', (code, signal) => settle({ code, signal, startError: null, cancelledBy }));
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function describe(exit: CommandExit): { outcome: Outcome; reason: string } {
  if (exit.cancelledBy !== null) {
    return { outcome: 'aborted', reason: `the step was cancelled (${exit.cancelledBy})` };
  }
  if (exit.startError !== null) {
    return { outcome: 'failed', reason: `the command could not start: ${exit.startError.message}` };
  }
  if (exit.signal !== null) {
    return { outcome: 'aborted', reason: `the command was killed by ${exit.signal}` };
  }
  if (exit.code === 0) {
    return { outcome: 'succeeded', reason: 'the command exited with 0' };
  }
  return { outcome: 'failed', reason: `the command exited with ${exit.code}` };
}
