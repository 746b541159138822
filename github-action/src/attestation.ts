import { readFileSync } from 'node:fs';
import * as core from '@actions/core';

/**
 * The job's GitHub OIDC token for `audience` (the issuer URL unless the `attestation-audience` input says
 * otherwise; core.getIDToken masks it). GitHub only offers one when the job has `permissions: id-token: write`,
 * and never to a pull request from a fork, so the error names whichever applies.
 */
export async function githubAttestationToken(audience: string): Promise<string> {
  if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL || !process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    if (isForkPullRequest()) {
      throw new Error(
        'this job runs for a pull request from a fork, and GitHub gives such jobs no OIDC token (whatever ' +
          '`permissions:` says), so there is nothing to attest with. Run Taskbound only for pushes and same-repository ' +
          'pull requests, e.g. `if: github.event.pull_request.head.repo.full_name == github.repository`',
      );
    }
    throw new Error(
      'the job has no GitHub OIDC token to attest with: add `permissions: id-token: write` to the job or workflow',
    );
  }
  try {
    return await core.getIDToken(audience);
  } catch (e) {
    throw new Error(`could not get the job's GitHub OIDC token: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** A pull_request-family event whose head repository is not the base repository (GITHUB_EVENT_PATH holds it). */
function isForkPullRequest(): boolean {
  if (!(process.env.GITHUB_EVENT_NAME ?? '').startsWith('pull_request') || process.env.GITHUB_EVENT_NAME === 'pull_request_target') {
    return false;
  }
  try {
    const event = JSON.parse(readFileSync(process.env.GITHUB_EVENT_PATH ?? '', 'utf8')) as {
      pull_request?: { head?: { repo?: { full_name?: string } | null }; base?: { repo?: { full_name?: string } } };
    };
    const head = event.pull_request?.head?.repo;
    const base = event.pull_request?.base?.repo;
    // A deleted fork leaves head.repo null: still not this repository. (head.repo.fork is no test: it is also true
    // for a same-repository pull request in a repository that is itself a fork.)
    return head === null || (head?.full_name !== undefined && head.full_name !== base?.full_name);
  } catch {
    return false;
  }
}
