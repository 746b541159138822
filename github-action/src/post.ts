import * as core from '@actions/core';
import { stopRenewer } from './background-renewer.js';
import { CredentialDirectory } from './credential-directory.js';
import { jobOutcome } from './job-outcome.js';
import { IssuerClient } from './issuer-client.js';
import { readInputs } from './inputs.js';
import { loadApprovalState, loadState } from './saved-state.js';
import { actionHooks, endAndReport } from './task-ending.js';
import { TaskSession, errorMessage } from './task-session.js';

/**
 * Runs at the end of the JOB. Job scope: ends the task unless the end action already did (its directory, with the
 * control token, is then gone). Step scope: a backstop for a main process that died before ending its task.
 */
async function post(): Promise<void> {
  const saved = loadState();
  if (saved === null) {
    await withdrawPendingApproval();
    core.info('Taskbound: no task was begun; nothing to end');
    return;
  }
  const directory = CredentialDirectory.fromPath(saved.directory);
  const session = TaskSession.resume(directory, actionHooks);
  if (session === null) {
    core.info(`Taskbound: task ${saved.taskId} has already ended`);
    return;
  }
  stopRenewer(directory);
  if (saved.scope === 'step') {
    await endAndReport(session, 'step', 'aborted', "the step's process stopped before it ended its task", 'post, as a backstop');
  } else {
    const { outcome, reason, known } = jobOutcome(core.getInput('job-status'));
    (known ? core.info : core.warning)(`Taskbound: ${reason}`);
    await endAndReport(session, 'job', outcome, reason, 'post, at the end of the job');
  }
}

/** Main died (or was cancelled) while it waited for approvers: withdraw the request, if still open. */
async function withdrawPendingApproval(): Promise<void> {
  const pending = loadApprovalState();
  if (pending === null) {
    return;
  }
  try {
    const view = await new IssuerClient(readInputs().issuerUrl).withdraw(pending.approvalId, pending.requestToken);
    core.info(`Taskbound: approval request ${pending.approvalId} ${view.status}: no task was issued`);
  } catch (e) {
    core.info(`Taskbound: approval request ${pending.approvalId} not withdrawn (${errorMessage(e)}); it was decided already or expires on its own`);
  }
}

post().catch((e) => core.setFailed(`Taskbound: ${errorMessage(e)}`));
