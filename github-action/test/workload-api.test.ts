import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { fromJSON, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { IssuerClient } from '../src/issuer-client.js';
import { TaskSession } from '../src/task-session.js';
import { WorkloadApiServer } from '../src/workload-api-server.js';
import { WORKLOAD_PROTO_JSON, WORKLOAD_PROTO_OPTIONS, workloadServiceDefinition } from '../src/workload-proto.js';
import { FakeTokenService } from './support/fake-token-service.js';
import { buildGoSpiffeCheck } from './support/go-spiffe.js';
import { ACTION_ROOT, IssuerProcess } from './support/issuer.js';
import { RawGrpcConnection, stringField } from './support/raw-grpc.js';
import { FakeRunner, visibleOutput } from './support/runner.js';

// The SPIFFE Workload API the action serves, driven by go-spiffe (the reference client, built from the CLI tests'
// src/test/go) against the real issuer jar; the security header by a hand-written HTTP/2 call.

const PROTO = resolve(ACTION_ROOT, '../spiffe-issuer/api/src/main/proto/workload.proto');
const GRPC_OK = 0;
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_PERMISSION_DENIED = 7;

describe('Workload API contract', () => {
  it('is workload.proto: the JSON copy the bundle carries describes the same messages and methods', () => {
    const fromProto = loadSync(PROTO, WORKLOAD_PROTO_OPTIONS);
    const fromCopy = fromJSON(WORKLOAD_PROTO_JSON as Parameters<typeof fromJSON>[0], WORKLOAD_PROTO_OPTIONS);
    assert.deepEqual(messageTypes(fromCopy), messageTypes(fromProto));
    const methods = (d: PackageDefinition) =>
      Object.entries((loadPackageDefinition(d).SpiffeWorkloadAPI as unknown as { service: Record<string, Record<string, unknown>> }).service)
        .map(([name, m]) => [name, m.path, m.requestStream, m.responseStream, m.originalName])
        .sort();
    assert.deepEqual(methods(fromCopy), methods(fromProto));
    assert.ok(Object.values(workloadServiceDefinition()).some((m) => m.path === '/SpiffeWorkloadAPI/FetchX509SVID'));
  });
});

/** Each message's DescriptorProto (fields, numbers, types, labels), keyed by full name; the service apart. */
function messageTypes(d: PackageDefinition): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(d)
      .filter(([, v]) => 'type' in v)
      .map(([name, v]) => [name, JSON.parse(JSON.stringify((v as { type: unknown }).type))]),
  );
}

describe('Workload API served for a task (go-spiffe)', () => {
  let tokens: FakeTokenService;
  let issuer: IssuerProcess;
  let go: { binary: string } | { skip: string };

  before(async () => {
    go = buildGoSpiffeCheck();
    tokens = await FakeTokenService.start();
    // 6 s SVIDs: renewal (and so rotation) at 3 s.
    issuer = await IssuerProcess.start(tokens.issuer, 'ttl: {x509_svid: 6s, jwt_svid: 6s}');
  });

  after(async () => {
    await issuer?.stop();
    await tokens?.close();
  });

  it('serves the SVID and bundles, pushes the rotation, and denies everything once the task ended', async (t) => {
    if ('skip' in go) {
      return t.skip(go.skip);
    }
    const parent = mkdtempSync(join(tmpdir(), 'taskbound-wl-'));
    const quiet = { mask: () => undefined, info: () => undefined, warning: () => undefined };
    const client = new IssuerClient(issuer.url);
    const session = await TaskSession.begin({
      client,
      attestationToken: tokens.mint(client.issuerUrl),
      audiences: ['sts.amazonaws.com'],
      directoryParent: parent,
      hooks: quiet,
    });
    const server = await WorkloadApiServer.start(session, (m) => assert.fail(m));
    let check: GoCheck | null = null;
    try {
      assert.equal(server.socket, join(session.directory.path, 'agent.sock'));
      session.startRenewing(session.svids!.renew_after);
      check = new GoCheck(go.binary, server.endpoint, 'sts.amazonaws.com');
      const rotated = await check.line((l) => l.startsWith('ROTATED') || l.startsWith('FAIL'));
      assert.match(rotated, /^ROTATED /, check.output());
      const first = check.lines.find((l) => l.startsWith('X509 '));
      assert.equal(first?.split(' ')[1], session.spiffeId);
      assert.notEqual(rotated.split(' ')[1], first?.split(' ')[2], 'a new certificate, not the first one again');
      // go-spiffe validated the JWT-SVID locally against FetchJWTBundles, and through ValidateJWTSVID.
      assert.ok(check.lines.includes(`JWT ${session.spiffeId}`), check.output());

      // The task ends while the socket is still served: the watch ends with PermissionDenied, and so does every
      // later call (not a response without SVIDs, which go-spiffe would report as malformed).
      await session.end('succeeded');
      assert.equal(await check.exit(), 0, check.output());
      assert.deepEqual(check.lines.filter((l) => l.startsWith('WATCH-ERROR')).map((l) => l.split(' ')[1]), ['PermissionDenied']);
      for (const call of ['x509', 'x509-bundles', 'jwt-bundles', 'jwt']) {
        assert.ok(check.lines.includes(`AFTER-END ${call} PermissionDenied`), `${call}:\n${check.output()}`);
      }
      assert.ok(check.lines.includes('DONE'));
      assert.doesNotMatch(check.output(), /no SVIDs/);
    } finally {
      check?.kill();
      await server.close();
      await session.end('aborted').catch(() => undefined);
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('refuses a call without the security header (InvalidArgument) and answers it with the header', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'taskbound-wl-'));
    const quiet = { mask: () => undefined, info: () => undefined, warning: () => undefined };
    const client = new IssuerClient(issuer.url);
    const session = await TaskSession.begin({
      client,
      attestationToken: tokens.mint(client.issuerUrl),
      audiences: ['sts.amazonaws.com'],
      directoryParent: parent,
      hooks: quiet,
    });
    const server = await WorkloadApiServer.start(session, (m) => assert.fail(m));
    const connection = new RawGrpcConnection(server.socket);
    try {
      const request = stringField(1, 'sts.amazonaws.com'); // JWTSVIDRequest.audience
      const call = (message: Buffer, headers?: Record<string, string>) => connection.unary('/SpiffeWorkloadAPI/FetchJWTSVID', message, headers);
      assert.equal(await call(request), GRPC_INVALID_ARGUMENT);
      assert.equal(await call(request, { 'workload.spiffe.io': 'false' }), GRPC_INVALID_ARGUMENT);
      assert.equal(await call(request, { 'workload.spiffe.io': 'true' }), GRPC_OK);
      assert.equal(await call(stringField(1, 'https://not-begun.example'), { 'workload.spiffe.io': 'true' }), GRPC_PERMISSION_DENIED);
      // Ended: the directory and its socket are gone, a client connected before gets PermissionDenied.
      await session.end('succeeded');
      assert.equal(await call(request, { 'workload.spiffe.io': 'true' }), GRPC_PERMISSION_DENIED);
      // The header is checked first: without it the answer is the same before and after the end.
      assert.equal(await call(request), GRPC_INVALID_ARGUMENT);
    } finally {
      connection.close();
      await server.close();
      await session.end('aborted').catch(() => undefined);
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

/** The go-spiffe check program, its output line by line; waits are for lines or the exit, never for a time. */
class GoCheck {
  readonly lines: string[] = [];
  private readonly process: ChildProcess;
  private readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(binary: string, endpoint: string, audience: string) {
    this.process = spawn(binary, [endpoint, audience], { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    const take = (chunk: Buffer) => {
      partial += chunk.toString();
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      this.lines.push(...complete);
      this.wake();
    };
    this.process.stdout!.on('data', take);
    this.process.stderr!.on('data', take);
    this.exited = new Promise((r) =>
      this.process.once('close', (code) => {
        if (partial !== '') {
          this.lines.push(partial);
        }
        this.wake();
        r(code);
      }),
    );
  }

  /** The first line that matches; fails when the program exits without one. */
  async line(matches: (line: string) => boolean): Promise<string> {
    for (;;) {
      const found = this.lines.find(matches);
      if (found !== undefined) {
        return found;
      }
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        assert.fail(`gospiffecheck exited without the line awaited:\n${this.output()}`);
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  exit(): Promise<number | null> {
    return this.exited;
  }

  output(): string {
    return this.lines.join('\n');
  }

  kill(): void {
    this.process.kill('SIGKILL');
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((w) => w());
  }
}

describe('workload-api input (the action as the runner runs it)', () => {
  let tokens: FakeTokenService;
  let issuer: IssuerProcess;
  let runner: FakeRunner;
  let go: { binary: string } | { skip: string };

  before(async () => {
    go = buildGoSpiffeCheck();
    tokens = await FakeTokenService.start();
    issuer = await IssuerProcess.start(tokens.issuer, 'ttl: {x509_svid: 6s, jwt_svid: 6s}');
    runner = new FakeRunner({ ACTIONS_ID_TOKEN_REQUEST_URL: tokens.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: tokens.requestToken });
  });

  after(async () => {
    await issuer?.stop();
    await tokens?.close();
    runner?.cleanUp();
  });

  it('gives the command SPIFFE_ENDPOINT_SOCKET in its private directory; go-spiffe sees a rotation, then PermissionDenied', async (t) => {
    if ('skip' in go) {
      return t.skip(go.skip);
    }
    const probe = `${runner.temp}/probe-wlapi`;
    const out = `${probe}/gospiffecheck.out`;
    const r = await runner.step('main', {
      'issuer-url': issuer.url,
      audiences: 'sts.amazonaws.com',
      'workload-api': 'true',
      run: [
        'set -eu',
        `mkdir -p ${probe}`,
        `echo "$SPIFFE_ENDPOINT_SOCKET" > ${probe}/endpoint`,
        `echo "$TASKBOUND_SVID_DIR" > ${probe}/dir`,
        // In the background, so that it outlives the command and sees the end of the task.
        `${go.binary} "$SPIFFE_ENDPOINT_SOCKET" sts.amazonaws.com > ${out} 2>&1 &`,
        `until grep -q '^ROTATED\\|^FAIL' ${out}; do sleep 0.2; done`,
      ].join('\n'),
    });
    assert.equal(r.code, 0, visibleOutput(r));
    const dir = readFileSync(`${probe}/dir`, 'utf8').trim();
    assert.equal(readFileSync(`${probe}/endpoint`, 'utf8').trim(), `unix://${dir}/agent.sock`);
    assert.match(r.stdout, /serving the SPIFFE Workload API to the command at unix:\/\//);
    // The check program goes on after the step; wait for its last line (it gives up after 60 s by itself).
    await until(() => /^(DONE|FAIL)/m.test(readFileSync(out, 'utf8')));
    const lines = readFileSync(out, 'utf8').split('\n');
    assert.ok(!lines.some((l) => l.startsWith('FAIL')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('X509 spiffe://taskbound.test/')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('ROTATED ')), lines.join('\n'));
    // The step ended the task: the watch ended with PermissionDenied before the socket went away.
    assert.deepEqual(lines.filter((l) => l.startsWith('WATCH-ERROR')).map((l) => l.split(' ')[1]), ['PermissionDenied']);
    assert.equal(issuer.showTask(r.outputs['task-id']).outcome, 'succeeded');
    assert.doesNotMatch(visibleOutput(r), /BEGIN PRIVATE KEY/);
  });

  it('refuses workload-api: true without run: (the job-scoped mode does not offer it)', async () => {
    const r = await runner.step('main', { 'issuer-url': issuer.url, 'workload-api': 'true' });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /workload-api: true needs `run:`/);
    assert.deepEqual(r.state, {}, 'refused before any task began');
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) {
    await new Promise((r) => setTimeout(r, 100));
  }
}
