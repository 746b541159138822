import * as core from '@actions/core';

/** The action's inputs, parsed and checked once (action.yml documents each). */
export interface ActionInputs {
  issuerUrl: string;
  audiences: string[];
  /** Downstream audiences to exchange the task's issuer JWT-SVID for (RFC 8693). */
  exchangeAudiences: string[];
  /** AWS_ROLE_ARN for the step(s); null when not given. */
  awsRoleArn: string | null;
  /** Audience of the GitHub OIDC token; null: the issuer URL. */
  attestationAudience: string | null;
  /** The command of the step-scoped mode; null for the job-scoped (export) mode. */
  run: string | null;
  shell: string;
  ttl: string | null;
  workingDirectory: string | null;
  /** Serve the SPIFFE Workload API to the command (step-scoped mode only). */
  workloadApi: boolean;
}

export const WORKLOAD_API_NEEDS_RUN =
  'workload-api: true needs `run:`: the action serves the Workload API to the command it runs, for the step\'s ' +
  'lifetime; the job-scoped mode does not offer it (docs/github-actions.md, "Workload API").';

export function readInputs(): ActionInputs {
  const issuerUrl = core.getInput('issuer-url', { required: true });
  const workloadApi = core.getInput('workload-api') !== '' && core.getBooleanInput('workload-api');
  const run = core.getInput('run', { trimWhitespace: false });
  if (workloadApi && run.trim() === '') {
    throw new Error(WORKLOAD_API_NEEDS_RUN);
  }
  return {
    issuerUrl,
    audiences: parseAudiences(core.getInput('audiences')),
    exchangeAudiences: parseAudiences(core.getInput('exchange-audiences')),
    awsRoleArn: core.getInput('aws-role-arn') || null,
    attestationAudience: core.getInput('attestation-audience') || null,
    run: run.trim() === '' ? null : run,
    shell: core.getInput('shell') || 'bash',
    ttl: core.getInput('ttl') || null,
    workingDirectory: core.getInput('working-directory') || null,
    workloadApi,
  };
}

/** Audiences separated by newlines or commas; blanks dropped, duplicates once, order kept (the first is the default). */
export function parseAudiences(text: string): string[] {
  const audiences = text
    .split(/[\n,]/)
    .map((a) => a.trim())
    .filter((a) => a !== '');
  return [...new Set(audiences)];
}
