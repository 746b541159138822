import type { Json } from './canonical-json.js';
import type { EcPublicJwk } from './task-key.js';

/**
 * The issuer's HTTP API v1 as the action uses it (docs/api.md). Errors name what went wrong in the caller's terms
 * and carry the problem `type`; the issuer's `detail` never holds a secret, and neither does anything added here.
 */

export type Outcome = 'succeeded' | 'failed' | 'aborted' | 'timed_out';

export interface JwtSvid {
  audience: string;
  token: string;
  expires_at: string;
}

/** SVIDs as begin and renew return them. */
export interface Svids {
  task_id: string;
  spiffe_id: string;
  expires_at: string;
  renew_after: string;
  x509_svid_chain_pem: string;
  jwt_svids: JwtSvid[];
  bundle_pem: string;
}

export interface BegunTask extends Svids {
  control_token: string;
  evidence?: { leaf_index: number; checkpoint: string };
}

export interface RevokedCredential {
  kind: string;
  id: string;
  expires_at: string;
  revoked_at: string;
  residual_exposure_seconds: number;
}

export interface EndedTask {
  task_id: string;
  outcome: string;
  ended_at: string;
  revoked: RevokedCredential[];
  receipt?: Json;
  evidence_url?: string;
}

/** A downstream token from the issuer's token exchange (RFC 8693), as the Java client's DownstreamToken. */
export interface DownstreamToken {
  audience: string;
  token: string;
  /** When the answer arrived; `expires_in` counts from here. */
  issuedAt: number;
  expiresAt: number;
}

/** Half-way through its life: a renewal at or after this time exchanges again, as SVIDs renew at half-life. */
export function refreshAt(t: { issuedAt: number; expiresAt: number }): number {
  return t.issuedAt + (t.expiresAt - t.issuedAt) / 2;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export interface BeginRequest {
  attestation: { type: string; token: string };
  public_key: EcPublicJwk;
  proof: string;
  audiences: string[];
  ttl?: string;
}

/** An approval request, as `POST /v1/tasks` answers it (202) and `GET /v1/approvals/{id}` shows it. */
export interface ApprovalView {
  approval_id: string;
  status: 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn' | 'issued';
  approvers: string;
  min_approvers: number;
  approved_by?: string[];
  expires_at: string;
  url: string;
  /** In the 202 only: authorises polling, withdrawing and collecting the task. */
  request_token?: string;
  denied_by?: string;
  reason?: string;
  task_id?: string;
}

/** What a begin produced: the task (201) or an approval request to wait for (202). */
export type Started = { task: BegunTask; approval?: undefined } | { task?: undefined; approval: ApprovalView };

/** A refusal or failure at the issuer; `problemType` is the last segment of the problem `type`, when there is one. */
export class IssuerError extends Error {
  override readonly name = 'IssuerError';
  constructor(
    message: string,
    readonly problemType: string | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
  }

  /** True when retrying cannot help: the issuer understood and refused. */
  get isRefusal(): boolean {
    return this.status !== null && this.status >= 400 && this.status < 500;
  }
}

export class IssuerClient {
  readonly issuerUrl: string;

  constructor(issuerUrl: string, private readonly timeoutMs = 30_000) {
    this.issuerUrl = normaliseIssuerUrl(issuerUrl);
  }

  begin(request: BeginRequest): Promise<BegunTask> {
    return this.json('begin the task', 'POST', '/v1/tasks', null, request);
  }

  /** Begins a task, or learns that policy wants approvers first (202 with an approval request). */
  async start(request: BeginRequest): Promise<Started> {
    const response = await this.send('begin the task', 'POST', '/v1/tasks', null, request);
    const body = await response.json();
    return response.status === 202 ? { approval: body as ApprovalView } : { task: body as BegunTask };
  }

  /**
   * The approval request, long-polled: the issuer answers as soon as it changes, or after `waitSeconds` (it caps
   * the wait at 25 s) with the request still pending.
   */
  approval(approvalId: string, requestToken: string, waitSeconds: number, signal?: AbortSignal): Promise<ApprovalView> {
    const path = `/v1/approvals/${encodeURIComponent(approvalId)}?wait=${Math.max(1, Math.floor(waitSeconds))}s`;
    return this.json('check the approval request', 'GET', path, requestToken, undefined, waitSeconds * 1000, signal);
  }

  /** Withdraws an approval request (the job was cancelled while it waited). */
  withdraw(approvalId: string, requestToken: string): Promise<ApprovalView> {
    return this.json('withdraw the approval request', 'DELETE', `/v1/approvals/${encodeURIComponent(approvalId)}`, requestToken);
  }

  /** The task of an approved request, for a fresh proof by the key given with the begin. */
  collect(approvalId: string, requestToken: string, proof: string): Promise<BegunTask> {
    return this.json('collect the approved task', 'POST', `/v1/approvals/${encodeURIComponent(approvalId)}/task`, requestToken, { proof });
  }

  renew(taskId: string, controlToken: string): Promise<Svids> {
    return this.json('renew the task', 'POST', `/v1/tasks/${encodeURIComponent(taskId)}/renew`, controlToken);
  }

  end(taskId: string, controlToken: string, outcome: Outcome, reason?: string): Promise<EndedTask> {
    const body = reason ? { outcome, reason: reason.slice(0, 1024) } : { outcome };
    return this.json('end the task', 'POST', `/v1/tasks/${encodeURIComponent(taskId)}/end`, controlToken, body);
  }

  /**
   * Exchanges a JWT-SVID whose `aud` is this issuer for a downstream token for `audience` (RFC 8693, `POST /token`).
   * The issuer records it as a credential of the task and revokes it when the task ends. Errors are RFC 6749 JSON.
   */
  async exchange(subjectJwtSvid: string, audience: string): Promise<DownstreamToken> {
    const what = `exchange the task's JWT-SVID for a token for ${audience}`;
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token_type: JWT_TOKEN_TYPE,
      subject_token: subjectJwtSvid,
      audience,
    });
    const issuedAt = Date.now();
    let response: Response;
    try {
      response = await fetch(this.issuerUrl + '/token', {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (e) {
      throw new IssuerError(`could not reach the issuer at ${this.issuerUrl} to ${what}: ${networkCause(e)}`);
    }
    if (!response.ok) {
      throw await oauthError(what, response);
    }
    const answer = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof answer.access_token !== 'string' || typeof answer.expires_in !== 'number' || answer.expires_in <= 0) {
      throw new IssuerError(`the issuer's answer to ${what} has no access_token or expires_in`);
    }
    return { audience, token: answer.access_token, issuedAt, expiresAt: issuedAt + answer.expires_in * 1000 };
  }

  async evidenceBundle(taskId: string): Promise<Buffer> {
    const response = await this.send('download the evidence bundle', 'GET', `/evidence/tasks/${encodeURIComponent(taskId)}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** The issuer's SPIFFE bundle document (JWKS form, `GET /bundle`): its JWT authorities for the Workload API. */
  async bundleJson(): Promise<string> {
    const response = await this.send('download the trust bundle', 'GET', '/bundle');
    return response.text();
  }

  async evidenceKey(): Promise<string> {
    const response = await this.send('download the evidence key', 'GET', '/evidence/key');
    return (await response.text()).trim();
  }

  private async json<T>(
    what: string, method: string, path: string, bearer: string | null, body?: unknown, extraMs = 0, signal?: AbortSignal,
  ): Promise<T> {
    const response = await this.send(what, method, path, bearer, body, extraMs, signal);
    return (await response.json()) as T;
  }

  private async send(
    what: string, method: string, path: string, bearer: string | null = null, body?: unknown, extraMs = 0, signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (bearer !== null) {
      headers.authorization = `Bearer ${bearer}`;
    }
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(this.issuerUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal
          ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs + extraMs)])
          : AbortSignal.timeout(this.timeoutMs + extraMs),
        redirect: 'error',
      });
    } catch (e) {
      throw new IssuerError(`could not reach the issuer at ${this.issuerUrl} to ${what}: ${networkCause(e)}`);
    }
    if (!response.ok) {
      throw await problem(what, response);
    }
    return response;
  }
}

/** The issuer URL as the issuer spells it: no trailing slash (it is the attestation and proof audience). */
export function normaliseIssuerUrl(url: string): string {
  const parsed = new URL(url.trim());
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`issuer-url must be an https URL, got ${parsed.protocol}`);
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new Error('issuer-url must not carry a query, fragment or credentials');
  }
  return parsed.toString().replace(/\/+$/, '');
}

async function problem(what: string, response: Response): Promise<IssuerError> {
  let type: string | null = null;
  let detail = '';
  try {
    const body = (await response.json()) as { type?: unknown; detail?: unknown };
    if (typeof body.type === 'string') {
      type = body.type.replace(/^.*\//, '');
    }
    if (typeof body.detail === 'string') {
      detail = body.detail;
    }
  } catch {
    // Not a problem document (a proxy's error page): the status says enough.
  }
  const named = type ?? `HTTP ${response.status}`;
  const message = `the issuer refused to ${what}: ${named} (${response.status})${detail ? `: ${detail}` : ''}`;
  return new IssuerError(message, type, response.status);
}

/** RFC 6749 §5.2 `{error, error_description}`: what /token answers instead of a problem document. */
async function oauthError(what: string, response: Response): Promise<IssuerError> {
  let error: string | null = null;
  let description = '';
  try {
    const body = (await response.json()) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === 'string') {
      error = body.error;
    }
    if (typeof body.error_description === 'string') {
      description = body.error_description;
    }
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const named = error ?? `HTTP ${response.status}`;
  return new IssuerError(
    `the issuer refused to ${what}: ${named} (${response.status})${description ? `: ${description}` : ''}`,
    error,
    response.status,
  );
}

function networkCause(e: unknown): string {
  if (e instanceof Error && e.name === 'TimeoutError') {
    return 'timed out';
  }
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
