import { environmentSuffix } from './audience-names.js';
import { DEFAULT_JWT_FILE } from './credential-directory.js';

/** The audience AWS STS expects in a web-identity token. */
export const AWS_STS_AUDIENCE = 'sts.amazonaws.com';

export interface CredentialLocation {
  directory: string;
  taskId: string;
  spiffeId: string;
  issuerUrl: string;
  /** audience → token file, first requested audience first. */
  tokenFiles: ReadonlyMap<string, string>;
  /** downstream audience → the file of its exchanged token. */
  downstreamFiles?: ReadonlyMap<string, string>;
  /** The `aws-role-arn` input, for AssumeRoleWithWebIdentity; null when not given. */
  awsRoleArn?: string | null;
}

/**
 * The variables a step sees: paths and identifiers, never tokens. Tokens rotate on renewal (a variable cannot
 * follow) and environments leak into process listings; tools read the files each time. Names as the CLI's.
 */
export function credentialEnvironment(c: CredentialLocation): Record<string, string> {
  const env: Record<string, string> = {
    TASKBOUND_SVID_DIR: c.directory,
    TASKBOUND_TASK_ID: c.taskId,
    TASKBOUND_SPIFFE_ID: c.spiffeId,
    TASKBOUND_ISSUER_URL: c.issuerUrl,
  };
  for (const [audience, file] of c.tokenFiles) {
    env[`TASKBOUND_JWT_${environmentSuffix(audience)}_FILE`] = file;
  }
  if (c.tokenFiles.size > 0) {
    env.TASKBOUND_JWT_SVID_FILE = `${c.directory}/${DEFAULT_JWT_FILE}`;
  }
  for (const [audience, file] of c.downstreamFiles ?? []) {
    env[`TASKBOUND_DOWNSTREAM_${environmentSuffix(audience)}_FILE`] = file;
  }
  // The AWS SDKs and CLI pick this up with AWS_ROLE_ARN for AssumeRoleWithWebIdentity. An exchanged STS token wins
  // over a JWT-SVID for STS, as in the Java client (WrittenFiles), which sets it from the exchanged token only.
  const sts = c.downstreamFiles?.get(AWS_STS_AUDIENCE) ?? c.tokenFiles.get(AWS_STS_AUDIENCE);
  if (sts !== undefined) {
    env.AWS_WEB_IDENTITY_TOKEN_FILE = sts;
  }
  if (c.awsRoleArn) {
    env.AWS_ROLE_ARN = c.awsRoleArn;
  }
  return env;
}
