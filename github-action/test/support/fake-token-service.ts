import { generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for GitHub's OIDC token service and the runner's token request endpoint, on loopback: the discovery
 * document and JWKS at GitHub's paths and in its shape, and RS256 tokens (typ JWT, kid) with GitHub-shaped claims
 * signed by a real RSA key, handed out for `GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=…` with
 * `Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>`.
 */
export class FakeTokenService {
  readonly requestToken = `ghrt_${randomBytes(16).toString('hex')}`;
  /** Every token handed out, so a test can prove none was printed. */
  readonly minted: string[] = [];
  /** Claims to change in the next tokens (e.g. another ref, to be denied by policy). */
  claimOverrides: Record<string, unknown> = {};
  private readonly kid = randomBytes(10).toString('hex');
  private readonly privateKey: KeyObject;
  private readonly publicJwk: Record<string, unknown>;

  private constructor(private readonly server: Server) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' };
  }

  static async start(): Promise<FakeTokenService> {
    const server = createServer();
    const service = new FakeTokenService(server);
    server.on('request', (req, res) => service.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return service;
  }

  get issuer(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What the runner puts in ACTIONS_ID_TOKEN_REQUEST_URL (GitHub's has a query; the client appends &audience=). */
  get requestUrl(): string {
    return `${this.issuer}/_apis/distributedtask/idtoken?api-version=2.0`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.issuer);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: this.issuer,
        jwks_uri: `${this.issuer}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'run_id'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid'],
      });
    }
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks') {
      return json(res, 200, { keys: [this.publicJwk] });
    }
    if (req.method === 'GET' && url.pathname === '/_apis/distributedtask/idtoken') {
      if (req.headers.authorization?.toLowerCase() !== `bearer ${this.requestToken}`) {
        return json(res, 401, { message: 'bad request token' });
      }
      const audience = url.searchParams.get('audience');
      if (!audience) {
        return json(res, 400, { message: 'audience is required' });
      }
      const token = this.mint(audience);
      this.minted.push(token);
      return json(res, 200, { count: token.length, value: token });
    }
    json(res, 404, { message: 'not found' });
  }

  /** An RS256 token with the claims GitHub sends for a push to main of octo-org/octo-repo. */
  mint(audience: string): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      jti: randomUUID(),
      sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      aud: audience,
      ref: 'refs/heads/main',
      sha: 'd6a7f2a3c1b0e9f8d7c6b5a4f3e2d1c0b9a8f7e6',
      repository: 'octo-org/octo-repo',
      repository_owner: 'octo-org',
      repository_owner_id: '65',
      repository_id: '74',
      repository_visibility: 'private',
      run_id: '9876543210',
      run_number: '42',
      run_attempt: '1',
      actor: 'octocat',
      actor_id: '12',
      workflow: 'deploy',
      workflow_ref: 'octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main',
      workflow_sha: 'd6a7f2a3c1b0e9f8d7c6b5a4f3e2d1c0b9a8f7e6',
      job_workflow_ref: 'octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main',
      job_workflow_sha: 'd6a7f2a3c1b0e9f8d7c6b5a4f3e2d1c0b9a8f7e6',
      event_name: 'push',
      ref_type: 'branch',
      ref_protected: 'true',
      head_ref: '',
      base_ref: '',
      runner_environment: 'github-hosted',
      iss: this.issuer,
      nbf: now - 5,
      iat: now,
      exp: now + 300,
      ...this.claimOverrides,
    };
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid, x5t: this.kid };
    const input = `${b64(header)}.${b64(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), this.privateKey).toString('base64url')}`;
  }
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
