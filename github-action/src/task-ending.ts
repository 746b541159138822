import * as core from '@actions/core';
import { checkEvidence, evidenceVerified } from './evidence-check.js';
import type { EndedTask, Outcome } from './issuer-client.js';
import { duration, writeTaskSummary } from './job-summary.js';
import type { Scope } from './saved-state.js';
import { errorMessage, type TaskSession } from './task-session.js';

/**
 * Ends a task and reports it: the end (which revokes and wipes the directory), then the action's own check of the
 * evidence, a log line and the job summary. A failed evidence check is a warning, not a failed step: the
 * credentials are revoked either way.
 */
export async function endAndReport(
  session: TaskSession,
  scope: Scope,
  outcome: Outcome,
  reason: string,
  endedBy: string,
  retrySeconds?: number,
): Promise<EndedTask> {
  const ended = await session.end(outcome, reason, retrySeconds);
  const exposure = ended.revoked.length ? Math.max(...ended.revoked.map((r) => r.residual_exposure_seconds)) : 0;
  core.info(
    `Taskbound: task ${ended.task_id} ended: ${ended.outcome}; ${ended.revoked.length} credentials revoked at ` +
      `${ended.ended_at}; residual exposure up to ${duration(exposure)}`,
  );
  try {
    const evidence = await checkEvidence(session.client, ended);
    if (evidenceVerified(evidence)) {
      core.info(`Taskbound: evidence bundle verified (${evidence.bundle?.provenEntries} entries proven in the log)`);
    } else {
      const problems = [...(evidence.bundle?.failures.map((f) => `${f.check}: ${f.detail}`) ?? []), ...evidence.problems];
      core.warning(`Taskbound: the task's evidence did not verify: ${problems.join('; ')}`);
    }
    await writeTaskSummary({ taskId: session.taskId, spiffeId: session.spiffeId, scope, ended, evidence, endedBy });
  } catch (e) {
    core.warning(`Taskbound: could not report the task's evidence: ${errorMessage(e)}`);
  }
  return ended;
}

/** The log hooks every entry point gives its session. */
export const actionHooks = {
  mask: (secret: string) => core.setSecret(secret),
  info: (message: string) => core.info(message),
  warning: (message: string) => core.warning(message),
};
