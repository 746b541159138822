import * as core from '@actions/core';
import { startRenewer } from './background-renewer.js';
import type { TaskSession } from './task-session.js';

/**
 * The job-scoped mode: the credentials stay for the rest of the job. Later steps get paths and ids through
 * GITHUB_ENV (never tokens); a detached renewer keeps the files fresh; post, or the end action, ends the task.
 */
export function exportJobScoped(session: TaskSession, awsRoleArn: string | null): void {
  for (const [name, value] of Object.entries(session.environment(awsRoleArn))) {
    core.exportVariable(name, value);
  }
  const svids = session.svids;
  if (svids !== null) {
    startRenewer(session.directory, svids.renew_after);
  }
  core.info(
    `Taskbound: task ${session.taskId} is active for the rest of the job as ${session.spiffeId}; ` +
      'it ends when the job ends (post) or at the end action',
  );
}
