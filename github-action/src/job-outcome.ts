import type { Outcome } from './issuer-client.js';

/**
 * The job's outcome from the `job-status` input, whose default `${{ job.status }}` the runner evaluates when it
 * starts post (action.yml input defaults may read the job context), so it is the status of the steps before post.
 * Without it (a runner that does not evaluate the default, or a value we do not know) the outcome is `failed`,
 * never an unverified `succeeded`; the reason says why.
 */
export function jobOutcome(status: string): { outcome: Outcome; reason: string; known: boolean } {
  switch (status.trim().toLowerCase()) {
    case 'success':
      return { outcome: 'succeeded', reason: 'the job ended: success', known: true };
    case 'failure':
      return { outcome: 'failed', reason: 'the job ended: failure', known: true };
    case 'cancelled':
      return { outcome: 'aborted', reason: 'the job ended: cancelled', known: true };
    default:
      return {
        outcome: 'failed',
        reason: `the job ended with an unknown status (${status.trim() === '' ? 'job-status empty' : status.trim().slice(0, 40)}); recorded as failed`,
        known: false,
      };
  }
}
