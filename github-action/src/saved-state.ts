import * as core from '@actions/core';

/**
 * What main leaves for post through GITHUB_STATE: where the task's private directory is and which mode made it.
 * The control token is not here: it stays in the directory's 0600 state file, so it is gone once the task ends.
 */
export type Scope = 'step' | 'job';

const DIRECTORY = 'svid-dir';
const SCOPE = 'scope';
const TASK_ID = 'task-id';
const APPROVAL_ID = 'approval-id';
const APPROVAL_TOKEN = 'approval-token';

export interface SavedState {
  directory: string;
  scope: Scope;
  taskId: string;
}

export function saveState(s: SavedState): void {
  core.saveState(DIRECTORY, s.directory);
  core.saveState(SCOPE, s.scope);
  core.saveState(TASK_ID, s.taskId);
}

/** The state main saved, or null when main never began a task. */
export function loadState(): SavedState | null {
  const directory = core.getState(DIRECTORY);
  if (directory === '') {
    return null;
  }
  return { directory, scope: core.getState(SCOPE) === 'step' ? 'step' : 'job', taskId: core.getState(TASK_ID) };
}

/**
 * The approval request main waits for (id and request token): post withdraws it should main die while waiting. The
 * token authorises only that request (poll, withdraw, and collect with a proof by a key post never had).
 */
export function saveApprovalState(approvalId: string, requestToken: string): void {
  core.saveState(APPROVAL_ID, approvalId);
  core.saveState(APPROVAL_TOKEN, requestToken);
}

export function loadApprovalState(): { approvalId: string; requestToken: string } | null {
  const approvalId = core.getState(APPROVAL_ID);
  const requestToken = core.getState(APPROVAL_TOKEN);
  return approvalId && requestToken ? { approvalId, requestToken } : null;
}
