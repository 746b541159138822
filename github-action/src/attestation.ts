import * as core from '@actions/core';

/**
 * The job's GitHub OIDC token with the issuer URL as audience (core.getIDToken masks it). GitHub only offers one
 * when the job has `permissions: id-token: write`, so that is the likely fix when the request variables are absent.
 */
export async function githubAttestationToken(issuerUrl: string): Promise<string> {
  if (!process.env.ACTIONS_ID_TOKEN_REQUEST_URL || !process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new Error(
      'the job has no GitHub OIDC token to attest with: add `permissions: id-token: write` to the job or workflow',
    );
  }
  try {
    return await core.getIDToken(issuerUrl);
  } catch (e) {
    throw new Error(`could not get the job's GitHub OIDC token: ${e instanceof Error ? e.message : String(e)}`);
  }
}
