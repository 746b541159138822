import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { runInProcessGroup, type CommandExit } from './command-group.js';
import type { ActionInputs } from './inputs.js';
import type { Outcome } from './issuer-client.js';
import { shellCommand } from './shell-command.js';
import { endAndReport } from './task-ending.js';
import { errorMessage, type TaskSession } from './task-session.js';
import { WorkloadApiServer } from './workload-api-server.js';

/** Ending after a cancellation must fit in what the runner still allows. */
const END_RETRY_ON_CANCEL_SECONDS = 2;

/**
 * The step-scoped mode: runs `run` with the task's credentials, renewing while it runs, and ends the task with
 * the command's outcome when it stops — succeeded, failed, or aborted on cancellation — so the credentials never
 * outlive the step.
 */
export async function runStepScoped(inputs: ActionInputs, session: TaskSession, runnerTemp: string): Promise<void> {
  let workloadApi: WorkloadApiServer | null = null;
  if (inputs.workloadApi) {
    try {
      workloadApi = await WorkloadApiServer.start(session, (m) => core.warning(m));
    } catch (e) {
      const reason = `the Workload API could not start: ${errorMessage(e)}`;
      await endAndReport(session, 'step', 'failed', reason, 'the step');
      core.setFailed(`Taskbound: ${reason}`);
      return;
    }
    core.info(`Taskbound: serving the SPIFFE Workload API to the command at ${workloadApi.endpoint}`);
  }
  try {
    await runAndEnd(inputs, session, runnerTemp, workloadApi);
  } finally {
    // After the end: the redaction reached open streams when the task ended, and calls until now were denied.
    await workloadApi?.close();
  }
}

async function runAndEnd(inputs: ActionInputs, session: TaskSession, runnerTemp: string, workloadApi: WorkloadApiServer | null): Promise<void> {
  const svids = session.svids;
  if (svids !== null) {
    session.startRenewing(svids.renew_after, (reason) => core.warning(`Taskbound: renewal stopped: ${reason}`));
  }
  const scriptDir = mkdtempSync(join(runnerTemp, 'taskbound-run-'));
  let exit: CommandExit;
  try {
    const command = shellCommand(inputs.shell, join(scriptDir, 'run'));
    writeFileSync(command.scriptPath, inputs.run ?? '', { mode: 0o600 });
    exit = await runInProcessGroup(
      command.file,
      command.args,
      inputs.workingDirectory,
      {
        ...process.env,
        ...session.environment(inputs.awsRoleArn),
        ...(workloadApi !== null ? { SPIFFE_ENDPOINT_SOCKET: workloadApi.endpoint } : {}),
      },
      { info: (m) => core.info(m), warning: (m) => core.warning(m) },
    );
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
