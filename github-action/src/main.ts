import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { waitingLine, type ApprovalHooks } from './approval-wait.js';
import { githubAttestationToken } from './attestation.js';
import { readInputs } from './inputs.js';
import { IssuerClient } from './issuer-client.js';
import { exportJobScoped } from './job-export.js';
import { saveApprovalState, saveState } from './saved-state.js';
import { runStepScoped } from './step-run.js';
import { actionHooks } from './task-ending.js';
import { TaskSession, errorMessage } from './task-session.js';

/** The action's main step: begin a task, then run the command (step scope) or export the credentials (job scope). */
async function main(): Promise<void> {
  const inputs = readInputs();
  const client = new IssuerClient(inputs.issuerUrl);
  const runnerTemp = process.env.RUNNER_TEMP || tmpdir();
  const attestationToken = await githubAttestationToken(inputs.attestationAudience ?? client.issuerUrl);
  const cancelled = new AbortController();
  const cancel = () => cancelled.abort();
  // The runner sends SIGINT (then SIGTERM) when the job is cancelled: a pending approval request is withdrawn.
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  const session = await TaskSession.begin({
    client,
    attestationToken,
    audiences: inputs.audiences,
    exchangeAudiences: inputs.exchangeAudiences,
    ttl: inputs.ttl ?? undefined,
    directoryParent: runnerTemp,
    hooks: actionHooks,
    approval: approvalHooks(cancelled.signal),
  }).finally(() => {
    process.removeListener('SIGINT', cancel);
    process.removeListener('SIGTERM', cancel);
  });
  const scope = inputs.run !== null ? 'step' : 'job';
  // Saved at once: should this process die, post still finds the task and ends it.
  saveState({ directory: session.directory.path, scope, taskId: session.taskId });
  core.info(`Taskbound: began ${scope}-scoped task ${session.taskId} as ${session.spiffeId} (expires ${session.svids?.expires_at})`);
  setOutputs(session, scope);
  if (inputs.run !== null) {
    await runStepScoped(inputs, session, runnerTemp);
  } else {
    exportJobScoped(session, inputs.awsRoleArn);
  }
}

/** Under a rule with approval: the URL in the log, a notice (annotation) and the job summary, then a long-poll. */
function approvalHooks(signal: AbortSignal): ApprovalHooks {
  return {
    signal,
    async onPending(a) {
      // Saved at once: should this process die while it waits, post withdraws the request.
      saveApprovalState(a.approval_id, a.request_token ?? '');
      core.info(`Taskbound: ${waitingLine(a)}`);
      core.notice(`Taskbound: this step waits for approval by ${a.approvers}: ${a.url}`, { title: 'Approval needed' });
      await core.summary
        .addHeading('Taskbound: waiting for approval', 3)
        .addRaw(
          `The task needs approval by <b>${escapeHtml(a.approvers)}</b>` +
            `${a.min_approvers > 1 ? ` (${a.min_approvers} approvers)` : ''} before <code>${escapeHtml(a.expires_at)}</code>: `,
        )
        .addLink(a.url, a.url)
        .addRaw(` (request <code>${escapeHtml(a.approval_id)}</code>)`, true)
        .write();
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function setOutputs(session: TaskSession, scope: 'step' | 'job'): void {
  core.setOutput('task-id', session.taskId);
  core.setOutput('spiffe-id', session.spiffeId);
  core.setOutput('expires-at', session.svids?.expires_at ?? '');
  if (scope === 'step') {
    // The files are deleted when this step ends: later steps would get paths to nothing. The command sees them
    // through its environment (TASKBOUND_SVID_DIR, TASKBOUND_JWT_*_FILE, TASKBOUND_DOWNSTREAM_*_FILE).
    return;
  }
  const tokenFiles = session.tokenFiles();
  core.setOutput('svid-dir', session.directory.path);
  core.setOutput('token-files', JSON.stringify(Object.fromEntries(tokenFiles)));
  core.setOutput('token-file', tokenFiles.values().next().value ?? '');
  core.setOutput('downstream-token-files', JSON.stringify(Object.fromEntries(session.downstreamFiles())));
}

main().catch((e) => core.setFailed(`Taskbound: ${errorMessage(e)}`));
