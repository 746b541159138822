import { CredentialDirectory, type TaskState } from './credential-directory.js';
import { credentialEnvironment } from './credential-environment.js';
import { IssuerClient, IssuerError, type EndedTask, type Outcome, type Svids } from './issuer-client.js';
import { TaskKey } from './task-key.js';

/** What a session reports to the step: masking and log lines. Never handed a secret except through `mask`. */
export interface SessionHooks {
  mask(secret: string): void;
  info(message: string): void;
  warning(message: string): void;
}

export interface BeginOptions {
  client: IssuerClient;
  attestationToken: string;
  audiences: string[];
  ttl?: string;
  /** Where the private directory is created (RUNNER_TEMP on a runner). */
  directoryParent: string;
  endRetrySeconds?: number;
  hooks: SessionHooks;
}

const RENEW_RETRY_MIN_MS = 5_000;
const RENEW_RETRY_MAX_MS = 60_000;
const END_RETRY_MIN_MS = 500;
const END_RETRY_MAX_MS = 15_000;

/**
 * One task from begin to end, in the shape of the Java client's TaskSession: the key generated here, the
 * credentials in a private directory, renewal at `renew_after` while the task lives, end with retry, then wipe.
 */
export class TaskSession {
  private renewTimer: NodeJS.Timeout | null = null;
  private ended: EndedTask | null = null;

  private constructor(
    readonly client: IssuerClient,
    readonly directory: CredentialDirectory,
    private readonly state: TaskState,
    private current: Svids | null,
    private readonly hooks: SessionHooks,
  ) {}

  static async begin(o: BeginOptions): Promise<TaskSession> {
    const key = TaskKey.generate();
    const begun = await o.client.begin({
      attestation: { type: 'github', token: o.attestationToken },
      public_key: key.publicJwk,
      proof: key.proofOfPossession(o.client.issuerUrl, o.attestationToken),
      audiences: o.audiences,
      ...(o.ttl ? { ttl: o.ttl } : {}),
    });
    o.hooks.mask(begun.control_token);
    maskSvids(begun, o.hooks);
    const keyPem = key.privateKeyPem();
    maskPem(keyPem, o.hooks);
    const directory = CredentialDirectory.create(o.directoryParent);
    const state: TaskState = {
      issuer_url: o.client.issuerUrl,
      task_id: begun.task_id,
      spiffe_id: begun.spiffe_id,
      control_token: begun.control_token,
      audiences: o.audiences,
      end_retry_seconds: o.endRetrySeconds ?? 30,
    };
    const session = new TaskSession(o.client, directory, state, begun, o.hooks);
    try {
      directory.writePrivateKey(keyPem);
      directory.writeSvids(begun, o.audiences);
      directory.writeState(state);
    } catch (e) {
      await session.end('aborted', 'the action could not write the credential files').catch(() => undefined);
      throw e;
    }
    return session;
  }

  /** The session a directory's state file describes (the end action, post, the background renewer); null when gone. */
  static resume(directory: CredentialDirectory, hooks: SessionHooks): TaskSession | null {
    const state = directory.exists() ? directory.readState() : null;
    if (state === null) {
      return null;
    }
    hooks.mask(state.control_token);
    return new TaskSession(new IssuerClient(state.issuer_url), directory, state, null, hooks);
  }

  get taskId(): string {
    return this.state.task_id;
  }

  get spiffeId(): string {
    return this.state.spiffe_id;
  }

  get audiences(): readonly string[] {
    return this.state.audiences;
  }

  /** The SVIDs of this process's begin or last renewal; null for a resumed session that has not renewed. */
  get svids(): Svids | null {
    return this.current;
  }

  tokenFiles(): Map<string, string> {
    return this.current === null ? new Map() : this.directory.tokenFiles(this.current, this.state.audiences);
  }

  environment(): Record<string, string> {
    return credentialEnvironment({
      directory: this.directory.path,
      taskId: this.taskId,
      spiffeId: this.spiffeId,
      issuerUrl: this.client.issuerUrl,
      tokenFiles: this.tokenFiles(),
    });
  }

  /** Renews now: fresh SVIDs over the same key, files rewritten atomically, new secrets masked. */
  async renew(): Promise<Svids> {
    const fresh = await this.client.renew(this.taskId, this.state.control_token);
    maskSvids(fresh, this.hooks);
    this.directory.writeSvids(fresh, this.state.audiences);
    this.current = fresh;
    return fresh;
  }

  /** Keeps renewing at each `renew_after` until the task ends; `onStopped` hears why renewal gave up. */
  startRenewing(renewAfter: string, onStopped: (reason: string) => void = () => undefined): void {
    const schedule = (at: number, retryMs: number) => {
      this.renewTimer = setTimeout(async () => {
        this.renewTimer = null;
        try {
          const fresh = await this.renew();
          this.hooks.info(`Taskbound: renewed the task's credentials; next renewal after ${fresh.renew_after}`);
          schedule(Date.parse(fresh.renew_after), RENEW_RETRY_MIN_MS);
        } catch (e) {
          if (this.ended !== null) {
            return;
          }
          if (e instanceof IssuerError && e.isRefusal) {
            onStopped(e.message);
            return;
          }
          this.hooks.warning(`Taskbound: renewal failed, retrying in ${retryMs / 1000}s: ${errorMessage(e)}`);
          schedule(Date.now() + retryMs, Math.min(retryMs * 2, RENEW_RETRY_MAX_MS));
        }
      }, Math.max(0, at - Date.now()));
    };
    this.stopRenewing();
    schedule(Date.parse(renewAfter), RENEW_RETRY_MIN_MS);
  }

  stopRenewing(): void {
    if (this.renewTimer !== null) {
      clearTimeout(this.renewTimer);
      this.renewTimer = null;
    }
  }

  /**
   * Ends the task with `outcome`, retrying while the issuer is unreachable, and wipes the directory whatever
   * happens. End is idempotent at the issuer: a repeat returns the first end's document.
   */
  async end(outcome: Outcome, reason?: string, retrySeconds = this.state.end_retry_seconds): Promise<EndedTask> {
    this.stopRenewing();
    try {
      const deadline = Date.now() + retrySeconds * 1000;
      for (let wait = END_RETRY_MIN_MS; ; wait = Math.min(wait * 2, END_RETRY_MAX_MS)) {
        try {
          this.ended = await this.client.end(this.taskId, this.state.control_token, outcome, reason);
          return this.ended;
        } catch (e) {
          if ((e instanceof IssuerError && e.isRefusal) || Date.now() + wait > deadline) {
            throw e;
          }
          this.hooks.warning(`Taskbound: could not end the task yet, retrying: ${errorMessage(e)}`);
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    } finally {
      this.directory.wipe();
    }
  }
}

function maskSvids(svids: Svids, hooks: SessionHooks): void {
  for (const jwt of svids.jwt_svids) {
    hooks.mask(jwt.token);
  }
}

/** Masks each base64 line of a private key: the runner matches secrets line by line. */
function maskPem(pem: string, hooks: SessionHooks): void {
  for (const line of pem.split('\n')) {
    if (line.trim() !== '' && !line.startsWith('-----')) {
      hooks.mask(line.trim());
    }
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
