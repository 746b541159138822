import { IssuerError, type ApprovalView, type BegunTask, type IssuerClient } from './issuer-client.js';
import type { TaskKey } from './task-key.js';

/**
 * Waiting for approvers, in the shape of the Java client's ApprovalWait: told once that the task waits
 * (`onPending`: the action prints the URL, a notice and a job-summary line), the request is long-polled
 * (`GET /v1/approvals/{id}?wait=25s`, answered as soon as it changes) until it is approved — the task is then
 * collected with a proof by the begin's key — or denied / expired / withdrawn, which is an IssuerError with the
 * reason. Aborting `signal` (the job was cancelled) withdraws the request.
 */

/** What every adapter prints while a task waits (ApprovalWait.waitingLine in the Java client). */
export function waitingLine(a: ApprovalView): string {
  return (
    `waiting for approval by ${a.approvers}${a.min_approvers > 1 ? ` (${a.min_approvers} approvers)` : ''}: ${a.url}` +
    ` (request ${a.approval_id}, expires ${a.expires_at})`
  );
}

export interface ApprovalHooks {
  onPending(a: ApprovalView): void | Promise<void>;
  /** Aborted when the job is cancelled: the request is withdrawn and the wait ends. */
  signal?: AbortSignal;
  /** Seconds each long-poll asks the issuer to hold (25; tests shorten it). */
  longPollSeconds?: number;
}

const HELD_AT_LEAST_MS = 500;
const POLL_MIN_MS = 1_000;
const POLL_MAX_MS = 15_000;

export async function awaitApproval(
  client: IssuerClient,
  key: TaskKey,
  request: ApprovalView,
  hooks: ApprovalHooks,
): Promise<BegunTask> {
  const token = request.request_token;
  if (!token) {
    throw new IssuerError(`the issuer's approval request ${request.approval_id} carries no request token`);
  }
  await hooks.onPending(request);
  {
    let now = request;
    let quick = 0;
    let failures = 0;
    for (;;) {
      if (hooks.signal?.aborted) {
        // Awaited: the process must not exit before the issuer heard it (it expires on its own otherwise).
        await client.withdraw(request.approval_id, token).catch(() => undefined);
        throw new IssuerError(`cancelled while waiting for approval; request ${request.approval_id} withdrawn`, 'approval-withdrawn');
      }
      if (now.status === 'approved') {
        return await client.collect(request.approval_id, token, key.proofForApproval(client.issuerUrl, request.approval_id));
      }
      if (now.status !== 'pending') {
        throw refused(now);
      }
      const asked = Date.now();
      try {
        const next = await client.approval(request.approval_id, token, hooks.longPollSeconds ?? 25, hooks.signal);
        failures = 0;
        const unchanged = next.status === now.status && (next.approved_by ?? []).join() === (now.approved_by ?? []).join();
        if (unchanged && Date.now() - asked < HELD_AT_LEAST_MS) {
          await sleep(Math.min(POLL_MAX_MS, POLL_MIN_MS * 2 ** quick++), hooks.signal); // an issuer that does not long-poll
        }
        now = next;
      } catch (e) {
        if (hooks.signal?.aborted) {
          continue;
        }
        if (e instanceof IssuerError && e.isRefusal) {
          throw e;
        }
        await sleep(Math.min(POLL_MAX_MS, POLL_MIN_MS * 2 ** failures++), hooks.signal);
      }
    }
  }
}

/** Denied, expired, withdrawn: the problem in the caller's terms, as the Java client words it. */
function refused(a: ApprovalView): IssuerError {
  switch (a.status) {
    case 'denied':
      return new IssuerError(`approval denied by ${a.denied_by}: ${a.reason}`, 'approval-denied', 403);
    case 'expired':
      return new IssuerError(
        `approval request ${a.approval_id} expired at ${a.expires_at} without approval by ${a.approvers}`, 'approval-expired', 410);
    default:
      return new IssuerError(`approval request ${a.approval_id} is ${a.status}`, 'approval-withdrawn', 410);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
