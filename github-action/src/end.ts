import * as core from '@actions/core';
import { stopRenewer } from './background-renewer.js';
import { CredentialDirectory } from './credential-directory.js';
import type { Outcome } from './issuer-client.js';
import { actionHooks, endAndReport } from './task-ending.js';
import { TaskSession, errorMessage } from './task-session.js';

const OUTCOMES: readonly Outcome[] = ['succeeded', 'failed', 'aborted', 'timed_out'];

/**
 * The end action: ends the job-scoped task before the job ends. It finds the task through TASKBOUND_SVID_DIR, which
 * main exported; ending a task that is already over is not an error, so it composes with post in either order.
 */
async function end(): Promise<void> {
  const outcome = (core.getInput('outcome') || 'succeeded') as Outcome;
  if (!OUTCOMES.includes(outcome)) {
    throw new Error(`outcome must be one of ${OUTCOMES.join(', ')}, got '${outcome}'`);
  }
  const path = core.getInput('svid-dir') || process.env.TASKBOUND_SVID_DIR || '';
  if (path === '') {
    core.warning('Taskbound: no job-scoped task to end (TASKBOUND_SVID_DIR is not set; did the main action run without `run:`?)');
    return;
  }
  const directory = CredentialDirectory.fromPath(path);
  const session = TaskSession.resume(directory, actionHooks);
  if (session === null) {
    core.info('Taskbound: the task has already ended');
    return;
  }
  stopRenewer(directory);
  await endAndReport(session, 'job', outcome, core.getInput('reason') || 'ended by the end action', 'the end action');
}

end().catch((e) => core.setFailed(`Taskbound: ${errorMessage(e)}`));
