import { CredentialDirectory, type DownstreamLifetime, type TaskState } from './credential-directory.js';
import { credentialEnvironment } from './credential-environment.js';
import {
  IssuerClient,
  IssuerError,
  refreshAt,
  type BegunTask,
  type DownstreamToken,
  type EndedTask,
  type Outcome,
  type Svids,
} from './issuer-client.js';
import { awaitApproval, type ApprovalHooks } from './approval-wait.js';
import { TaskKey } from './task-key.js';

/** Hears a session's rotations and its end, as the Java client's SvidListener (the Workload API is one). */
export interface SessionListener {
  /** Fresh SVIDs after a renewal, once the files hold them. */
  rotated(svids: Svids): void;
  /** The task has ended, or the attempt to end it is over: the step holds no identity any more. */
  ended(): void;
}

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
  /**
   * Downstream audiences to exchange a JWT-SVID for right away (RFC 8693); the JWT-SVID for the issuer itself that
   * the exchange needs is asked for too. A refused exchange ends the task `failed`, as in the Java client.
   */
  exchangeAudiences?: string[];
  ttl?: string;
  /** Where the private directory is created (RUNNER_TEMP on a runner). */
  directoryParent: string;
  endRetrySeconds?: number;
  hooks: SessionHooks;
  /** How to wait when policy wants approvers; without it such a begin fails, naming who must approve. */
  approval?: ApprovalHooks;
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
  /** downstream audience → the lifetime of its current token, in the order asked for. */
  private readonly downstream = new Map<string, DownstreamLifetime>();
  private readonly listeners = new Set<SessionListener>();

  private constructor(
    readonly client: IssuerClient,
    readonly directory: CredentialDirectory,
    private readonly state: TaskState,
    private current: Svids | null,
    private readonly hooks: SessionHooks,
    /** The task's key: held by the session that began the task, absent from a resumed one. */
    readonly key: TaskKey | null = null,
  ) {
    for (const d of directory.readDownstreamLifetimes()) {
      this.downstream.set(d.audience, d);
    }
  }

  static async begin(o: BeginOptions): Promise<TaskSession> {
    const key = TaskKey.generate();
    const exchange = o.exchangeAudiences ?? [];
    const audiences = exchange.length > 0 && !o.audiences.includes(o.client.issuerUrl) ? [...o.audiences, o.client.issuerUrl] : o.audiences;
    const started = await o.client.start({
      attestation: { type: 'github', token: o.attestationToken },
      public_key: key.publicJwk,
      proof: key.proofOfPossession(o.client.issuerUrl, o.attestationToken),
      audiences,
      ...(o.ttl ? { ttl: o.ttl } : {}),
    });
    let begun: BegunTask;
    if (started.approval) {
      if (started.approval.request_token) {
        o.hooks.mask(started.approval.request_token);
      }
      if (!o.approval) {
        throw new IssuerError(
          `the task needs approval by ${started.approval.approvers} (${started.approval.url}); this caller cannot wait for it`,
          'approval-pending', 202);
      }
      begun = await awaitApproval(o.client, key, started.approval, o.approval);
    } else {
      begun = started.task;
    }
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
      audiences,
      end_retry_seconds: o.endRetrySeconds ?? 30,
    };
    const session = new TaskSession(o.client, directory, state, begun, o.hooks, key);
    try {
      directory.writePrivateKey(keyPem);
      directory.writeSvids(begun, audiences);
      directory.writeState(state);
    } catch (e) {
      await session.end('aborted', 'the action could not write the credential files').catch(() => undefined);
      throw e;
    }
    try {
      for (const audience of exchange) {
        session.keepDownstream(await session.exchange(begun, audience));
      }
    } catch (e) {
      // The issuer issued, the step cannot use what it asked for: take the credentials back at once.
      await session.end('failed', 'a token exchange the step asked for was refused').catch(() => undefined);
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
    // Tokens the detached renewer wrote were never masked (it has no step to print ::add-mask:: to); mask what
    // the files hold now, so at least this step's own log (errors, evidence, summary) cannot show them.
    for (const token of directory.currentTokens()) {
      hooks.mask(token);
    }
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

  /** downstream audience → the file of its exchanged token, in the order asked for. */
  downstreamFiles(): Map<string, string> {
    return new Map([...this.downstream.keys()].map((a) => [a, this.directory.downstreamFile(a)]));
  }

  environment(awsRoleArn: string | null = null): Record<string, string> {
    return credentialEnvironment({
      directory: this.directory.path,
      taskId: this.taskId,
      spiffeId: this.spiffeId,
      issuerUrl: this.client.issuerUrl,
      tokenFiles: this.tokenFiles(),
      downstreamFiles: this.downstreamFiles(),
      awsRoleArn,
    });
  }

  /**
   * Renews now: fresh SVIDs over the same key, files rewritten atomically, new secrets masked; then exchanges the
   * fresh issuer JWT-SVID again for each downstream token past half its life. A refused or failed refresh keeps the
   * old token (valid until it expires) and is reported as a warning: it must not keep the fresh SVIDs from the step.
   */
  async renew(): Promise<Svids> {
    const fresh = await this.client.renew(this.taskId, this.state.control_token);
    maskSvids(fresh, this.hooks);
    this.directory.writeSvids(fresh, this.state.audiences);
    this.current = fresh;
    for (const l of this.listeners) {
      try {
        l.rotated(fresh);
      } catch (e) {
        // One failing listener must not keep the fresh SVIDs from the files or the others.
        this.hooks.warning(`Taskbound: ${errorMessage(e)}`);
      }
    }
    for (const old of [...this.downstream.values()].filter((d) => refreshAt(d) <= Date.now())) {
      try {
        this.keepDownstream(await this.exchange(fresh, old.audience));
      } catch (e) {
        this.hooks.warning(
          `Taskbound: could not refresh the downstream token for ${old.audience}; the old one stays until it ` +
            `expires at ${new Date(old.expiresAt).toISOString()}: ${errorMessage(e)}`,
        );
      }
    }
    return fresh;
  }

  private async exchange(svids: Svids, audience: string): Promise<DownstreamToken> {
    const subject = svids.jwt_svids.find((j) => j.audience === this.client.issuerUrl);
    if (subject === undefined) {
      throw new Error(`the task holds no JWT-SVID for the issuer (${this.client.issuerUrl}) to exchange`);
    }
    const token = await this.client.exchange(subject.token, audience);
    this.hooks.mask(token.token);
    return token;
  }

  /** Writes a downstream token's file and records its lifetime (masked already by `exchange`). */
  private keepDownstream(token: DownstreamToken): void {
    this.directory.writeDownstream([token]);
    this.downstream.set(token.audience, { audience: token.audience, issuedAt: token.issuedAt, expiresAt: token.expiresAt });
    this.directory.writeDownstreamLifetimes([...this.downstream.values()]);
  }

  addListener(listener: SessionListener): void {
    this.listeners.add(listener);
  }

  removeListener(listener: SessionListener): void {
    this.listeners.delete(listener);
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
      for (const l of this.listeners) {
        try {
          l.ended();
        } catch (e) {
          this.hooks.warning(`Taskbound: ${errorMessage(e)}`);
        }
      }
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
