import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** github-action/ (tests run compiled from build/test/support/). */
export const ACTION_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const ISSUER_JAR = resolve(ACTION_ROOT, '../spiffe-issuer/server/target/taskbound-issuer.jar');

/**
 * A policy for octo-org/octo-repo on main only, with two audiences (also downstream ones, for the token exchange)
 * and the issuer's own URL (the JWT-SVID an exchange presents); anything else is denied. Three exchanges per task:
 * the exchange tests use two at begin and have a third refresh refused.
 */
export function testPolicy(issuerUrl: string): string {
  return `rules:
  - name: octo-repo-main
    when: >-
      ci.platform == 'github'
      && ci.repository == 'octo-org/octo-repo'
      && ci.ref == 'refs/heads/main'
    spiffe_id: "spiffe://{trust_domain}/ci/github/{ci.repository:path}/run/{ci.run_id}/attempt/{ci.run_attempt}"
    max_ttl: 15m
    audiences: ["sts.amazonaws.com", "https://vault.example", "${issuerUrl}"]
    max_exchanges: 3
`;
}

/** The relying party the tests introspect as (`introspection.clients`). */
const INTROSPECTION_CLIENT = 'action-tests';
const INTROSPECTION_SECRET = randomBytes(24).toString('hex');

/**
 * The real issuer jar on loopback in dev mode, with the GitHub attestor pointed at a fake token service. Build it
 * first: `mvn -B -q -DskipTests package` at the repository root.
 */
export class IssuerProcess {
  private constructor(
    private readonly process: ChildProcess,
    readonly url: string,
    readonly dataDir: string,
    readonly configFile: string,
    private readonly workDir: string,
  ) {}

  /**
   * `githubAudience`: the GitHub attestor's `audience`, when it must differ from the issuer URL; `policy`: the
   * policy file's text for the issuer's URL (default {@link testPolicy}).
   */
  static async start(
    githubIssuer: string, extraConfig = '', githubAudience?: string, policy: (issuerUrl: string) => string = testPolicy,
  ): Promise<IssuerProcess> {
    if (!existsSync(ISSUER_JAR)) {
      throw new Error(`${ISSUER_JAR} is missing: run \`mvn -B -q -DskipTests package\` at the repository root first`);
    }
    const workDir = mkdtempSync(join(tmpdir(), 'taskbound-issuer-test-'));
    const dataDir = join(workDir, 'data');
    const policyFile = join(workDir, 'policy.yaml');
    const configFile = join(workDir, 'issuer.yaml');
    // The policy names the issuer's URL, so the port is chosen first (a free one, released just before the start).
    const port = await freePort();
    writeFileSync(policyFile, policy(`http://127.0.0.1:${port}`));
    writeFileSync(
      configFile,
      [
        'dev: true',
        `listen: 127.0.0.1:${port}`,
        `data_dir: ${dataDir}`,
        `policy: {file: ${policyFile}}`,
        'attestors:',
        `  github: {issuer: "${githubIssuer}"${githubAudience ? `, audience: "${githubAudience}"` : ''}}`,
        // A relying party sees only tokens for its own audiences: the downstream ones the exchange tests introspect.
        `introspection: {clients: [{id: ${INTROSPECTION_CLIENT}, secret_env: TASKBOUND_TEST_INTROSPECTION_SECRET, audiences: ["sts.amazonaws.com", "https://vault.example"]}]}`,
        extraConfig,
      ].join('\n'),
    );
    const child = spawn('java', ['-jar', ISSUER_JAR, 'serve', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TASKBOUND_TEST_INTROSPECTION_SECRET: INTROSPECTION_SECRET },
    });
    let output = '';
    // Waits for the event (the listening line, or the process's exit), not for a guessed start-up time.
    const url = await new Promise<string>((resolveUrl, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) {
          resolveUrl(m[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`issuer exited with ${code}:\n${output}`)));
    });
    return new IssuerProcess(child, url, dataDir, configFile, workDir);
  }

  /** `taskbound-issuer tasks show ID` (JSON) — the operator's view, straight from the store. */
  showTask(taskId: string): { state: string; outcome?: string; credentials: { revoked_at?: string }[] } {
    const r = spawnSync('java', ['-jar', ISSUER_JAR, 'tasks', 'show', taskId, '--config', this.configFile], {
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      throw new Error(`tasks show failed (${r.status}): ${r.stderr}`);
    }
    return JSON.parse(r.stdout);
  }

  /** `taskbound-issuer ARGS --config …` on the issuer's data directory (an operator's command): status and output. */
  cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('java', ['-jar', ISSUER_JAR, ...args, '--config', this.configFile], { encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** RFC 7662 introspection as a registered relying party: is `token` an active credential of an active task? */
  async introspect(token: string): Promise<{ active: boolean; aud?: string | string[]; iss?: string; sub?: string }> {
    const response = await fetch(`${this.url}/introspect`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${INTROSPECTION_CLIENT}:${INTROSPECTION_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }).toString(),
    });
    if (!response.ok) {
      throw new Error(`introspection answered ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as { active: boolean };
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null) {
      const exited = new Promise((r) => this.process.once('exit', r));
      this.process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolvePort(port));
    });
  });
}
