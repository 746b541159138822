import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FakeTokenService } from './support/fake-token-service.js';
import { ACTION_ROOT, IssuerProcess } from './support/issuer.js';
import { FakeRunner, visibleOutput, type StepResult } from './support/runner.js';

// dist/ run the way the runner runs it, against the real issuer jar and a fake GitHub token service.

let tokens: FakeTokenService;
let issuer: IssuerProcess;
let runner: FakeRunner;

before(async () => {
  tokens = await FakeTokenService.start();
  // Downstream tokens live 4 s, so at the first renewal (3 s) they are past half their life and are refreshed.
  issuer = await IssuerProcess.start(tokens.issuer, 'ttl: {x509_svid: 6s, jwt_svid: 6s}\nexchange: {ttl: 4s}');
  runner = new FakeRunner({
    ACTIONS_ID_TOKEN_REQUEST_URL: tokens.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: tokens.requestToken,
  });
});

after(async () => {
  await issuer?.stop();
  await tokens?.close();
  runner?.cleanUp();
});

const AUDIENCES = 'sts.amazonaws.com\nhttps://vault.example';

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return { 'issuer-url': issuer.url, audiences: AUDIENCES, shell: 'bash', 'workload-api': 'false', ...extra };
}

/** No attestation token, no request token, and no control token may appear outside ::add-mask:: commands. */
function assertNoSecretPrinted(r: StepResult, extraSecrets: string[] = []): void {
  const visible = visibleOutput(r) + r.summary + r.rawEnvFile + JSON.stringify(r.outputs);
  for (const secret of [...tokens.minted, tokens.requestToken, ...extraSecrets]) {
    assert.ok(!visible.includes(secret), 'a secret was printed');
  }
  assert.doesNotMatch(visible, /tbct_[A-Za-z0-9_-]{8,}/, 'a control token was printed');
  assert.doesNotMatch(visible, /BEGIN PRIVATE KEY/, 'a private key was printed');
}

/** The issuer's own record: ended with `outcome`, every credential revoked. */
function assertEnded(taskId: string, outcome: string): void {
  const task = issuer.showTask(taskId);
  assert.equal(task.state, 'ended');
  assert.equal(task.outcome, outcome);
  assert.ok(task.credentials.length > 0 && task.credentials.every((c) => c.revoked_at), 'every credential revoked');
}

function maskedValues(r: StepResult): string[] {
  return r.stdout.split('\n').filter((l) => l.startsWith('::add-mask::')).map((l) => l.slice('::add-mask::'.length));
}

describe('step-scoped mode (run:)', () => {
  it('runs the command with private credential files, renews while it runs, and ends the task as succeeded', async () => {
    const probe = `${runner.temp}/probe-success`;
    const r = await runner.step('main', inputs({
      run: [
        'set -eu',
        `probe=${probe}`,
        'mkdir -p "$probe"',
        'echo "$TASKBOUND_SVID_DIR" > "$probe/dir"',
        'stat -c %a "$TASKBOUND_SVID_DIR" > "$probe/dir-mode"',
        'stat -c %a "$TASKBOUND_SVID_DIR"/svid.pem "$TASKBOUND_SVID_DIR"/svid_key.pem "$TASKBOUND_SVID_DIR"/bundle.pem "$TASKBOUND_SVID_DIR"/jwt_svid.token | sort -u > "$probe/file-modes"',
        'test "$AWS_WEB_IDENTITY_TOKEN_FILE" = "$TASKBOUND_SVID_DIR/jwt_svid.sts.amazonaws.com.token"',
        'test -s "$TASKBOUND_JWT_HTTPS_3A_2F_2FVAULT_2EEXAMPLE_FILE"',
        'cp "$AWS_WEB_IDENTITY_TOKEN_FILE" "$probe/token-before"',
        'cp "$TASKBOUND_SVID_DIR/svid.pem" "$probe/svid-before"',
        'cp "$TASKBOUND_SVID_DIR/svid_key.pem" "$probe/key"',
        // Waits for the renewal (at renew_after, 3 s with 6 s SVIDs) instead of guessing how long it takes.
        'while cmp -s "$TASKBOUND_SVID_DIR/svid.pem" "$probe/svid-before"; do sleep 0.2; done',
        'while cmp -s "$AWS_WEB_IDENTITY_TOKEN_FILE" "$probe/token-before"; do sleep 0.2; done',
        'cp "$TASKBOUND_SVID_DIR/svid.pem" "$probe/svid-after"',
        'cp "$AWS_WEB_IDENTITY_TOKEN_FILE" "$probe/token-after"',
        'echo "spiffe id: $TASKBOUND_SPIFFE_ID"',
      ].join('\n'),
    }));
    assert.equal(r.code, 0, visibleOutput(r));
    const dir = readFileSync(`${probe}/dir`, 'utf8').trim();
    assert.equal(readFileSync(`${probe}/dir-mode`, 'utf8').trim(), '700');
    assert.equal(readFileSync(`${probe}/file-modes`, 'utf8').trim(), '600');
    assert.ok(!existsSync(dir), 'the credential directory is wiped');
    // Renewed at renew_after (3 s with 6 s SVIDs) while the command ran.
    assert.notEqual(readFileSync(`${probe}/svid-before`, 'utf8'), readFileSync(`${probe}/svid-after`, 'utf8'));
    // Every JWT-SVID, the renewed one too, and every key line was masked.
    const masked = maskedValues(r);
    for (const f of ['token-before', 'token-after']) {
      assert.ok(masked.includes(readFileSync(`${probe}/${f}`, 'utf8')), `${f} masked`);
    }
    const keyLines = readFileSync(`${probe}/key`, 'utf8').split('\n').filter((l) => l && !l.startsWith('-----'));
    assert.ok(keyLines.every((l) => masked.includes(l)), 'key lines masked');
    assertNoSecretPrinted(r, [readFileSync(`${probe}/token-before`, 'utf8'), ...keyLines]);
    assert.match(r.stdout, /spiffe id: spiffe:\/\/taskbound\.test\/ci\/github\/octo-org\/octo-repo\/run\/9876543210\/attempt\/1/);
    assert.match(r.outputs['task-id'], /^tsk_/);
    // No output may point at the files, deleted when this step ended.
    assert.deepEqual(Object.keys(r.outputs).sort(), ['expires-at', 'spiffe-id', 'task-id']);
    assert.match(r.summary, /step-scoped task succeeded/);
    assert.match(r.summary, /Evidence: verified by this action/);
    assert.match(r.summary, /inclusion proofs against the checkpoint root: \d+ of \d+ entries/);
    assert.match(r.summary, /Residual exposure/);
    assertEnded(r.outputs['task-id'], 'succeeded');
    if (process.env.TASKBOUND_SHOW_SUMMARY) {
      console.log(r.summary, visibleOutput(r));
    }
  });

  it('fails the step and ends the task as failed when the command exits 3', async () => {
    const r = await runner.step('main', inputs({ run: 'echo working; exit 3' }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /::error::Taskbound: the command exited with 3/);
    assert.match(r.summary, /step-scoped task failed/);
    assertEnded(r.outputs['task-id'], 'failed');
    assertNoSecretPrinted(r);
  });

  it('ends the task as aborted, with the command stopped, when the step is cancelled (SIGINT)', async () => {
    const dirFile = `${runner.temp}/cancel-dir`;
    const ready = `${runner.temp}/cancel-ready`;
    const pids = `${runner.temp}/cancel-pids`;
    const r = await runner.step(
      'main',
      inputs({ run: `echo "$TASKBOUND_SVID_DIR" > ${dirFile}; sleep 600 & echo $! > ${pids}; echo ready > ${ready}; wait` }),
      { onStart: (pid) => cancelWhenExists(pid, ready) },
    );
    // The test's only wait is for the action to exit: it exits once the command's whole group is gone.
    assert.equal(r.code, 1, visibleOutput(r));
    assert.match(r.stdout, /cancelled \(SIGINT\)/);
    assert.ok(!running(Number(readFileSync(pids, 'utf8'))), 'the command\'s child was stopped');
    assert.ok(!existsSync(readFileSync(dirFile, 'utf8').trim()), 'the credential directory is wiped');
    assert.match(r.summary, /step-scoped task aborted/);
    assertEnded(r.outputs['task-id'], 'aborted');
    // post finds nothing left to do.
    const post = await runner.step('post', inputs(), { state: r.state });
    assert.equal(post.code, 0);
    assert.match(post.stdout, /already ended/);
  });

  it('stops a command tree that ignores SIGINT and SIGTERM: SIGTERM, then SIGKILL to its process group', async () => {
    const ready = `${runner.temp}/stubborn-ready`;
    const pids = `${runner.temp}/stubborn-pids`;
    const r = await runner.step(
      'main',
      inputs({
        run: [
          `trap '' INT TERM`,
          // A grandchild in the same group that ignores both, as a tool with its own handlers might.
          `bash -c "trap '' INT TERM; sleep 600" & echo $! > ${pids}`,
          `echo ready > ${ready}`,
          'while true; do sleep 1; done',
        ].join('\n'),
      }),
      { onStart: (pid) => cancelWhenExists(pid, ready) },
    );
    assert.equal(r.code, 1, visibleOutput(r));
    assert.match(r.stdout, /cancelled \(SIGINT\)/);
    assert.match(r.stdout, /sending SIGTERM to the command's process group/);
    assert.match(r.stdout, /sending SIGKILL to its process group/);
    assert.ok(!running(Number(readFileSync(pids, 'utf8'))), 'the stubborn grandchild was killed');
    assertEnded(r.outputs['task-id'], 'aborted');
  });
});

/** Sends the runner's cancellation (SIGINT to the action's process) once the command has written `ready`. */
function cancelWhenExists(pid: number, ready: string): void {
  const poll = setInterval(() => {
    if (existsSync(ready) && readFileSync(ready, 'utf8').trim() !== '') {
      clearInterval(poll);
      process.kill(pid, 'SIGINT');
    }
  }, 50);
}

/** True while `pid` runs; a zombie (killed, not yet reaped by an init that may never reap it) does not run. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('job-scoped mode (no run:)', () => {
  it('exports paths to later steps through GITHUB_ENV and ends the task in post', async () => {
    const main = await runner.step('main', inputs());
    assert.equal(main.code, 0, visibleOutput(main));
    const dir = main.env.TASKBOUND_SVID_DIR;
    assert.equal(main.outputs['svid-dir'], dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(`${dir}/svid_key.pem`).mode & 0o777, 0o600);
    assert.equal(main.env.AWS_WEB_IDENTITY_TOKEN_FILE, `${dir}/jwt_svid.sts.amazonaws.com.token`);
    assert.equal(main.env.TASKBOUND_JWT_STS_2EAMAZONAWS_2ECOM_FILE, main.env.AWS_WEB_IDENTITY_TOKEN_FILE);
    assert.equal(main.env.TASKBOUND_TASK_ID, main.outputs['task-id']);
    assert.deepEqual(Object.keys(JSON.parse(main.outputs['token-files'])), ['sts.amazonaws.com', 'https://vault.example']);
    assert.equal(main.outputs['token-file'], main.env.AWS_WEB_IDENTITY_TOKEN_FILE);
    // The file-command protocol with a random heredoc delimiter, never a token in the environment.
    assert.match(main.rawEnvFile, /^TASKBOUND_SVID_DIR<<ghadelimiter_[0-9a-f-]{36}$/m);
    assert.ok(readFileSync(main.env.AWS_WEB_IDENTITY_TOKEN_FILE, 'utf8').split('.').length === 3);
    assertNoSecretPrinted(main, [readFileSync(main.env.AWS_WEB_IDENTITY_TOKEN_FILE, 'utf8')]);
    assert.deepEqual(Object.keys(main.state).sort(), ['scope', 'svid-dir', 'task-id']);
    assert.equal(issuer.showTask(main.outputs['task-id']).state, 'active');

    const post = await runner.step('post', inputs({ 'job-status': 'success' }), { state: main.state });
    assert.equal(post.code, 0, visibleOutput(post));
    assert.ok(!existsSync(dir), 'post wiped the directory');
    assert.match(post.summary, /job-scoped task succeeded/);
    assert.match(post.summary, /Evidence: verified by this action/);
    assertEnded(main.outputs['task-id'], 'succeeded');
  });

  it('keeps the files fresh after the step, and the end action revokes early; post after it is a no-op', async () => {
    const main = await runner.step('main', inputs({ audiences: 'sts.amazonaws.com' }));
    assert.equal(main.code, 0, visibleOutput(main));
    const tokenFile = main.env.AWS_WEB_IDENTITY_TOKEN_FILE;
    const first = readFileSync(tokenFile, 'utf8');
    // The background renewer rewrites the token at renew_after: wait for that, however long a busy machine takes.
    await until(() => readFileSync(tokenFile, 'utf8') !== first);
    const renewed = readFileSync(tokenFile, 'utf8');

    const end = await runner.step('end', { outcome: 'failed', reason: 'deploy failed' }, { env: main.env });
    assert.equal(end.code, 0, visibleOutput(end));
    // The renewer could not mask what it wrote; the end action masks the files' tokens before it prints anything.
    assert.ok(maskedValues(end).includes(renewed), 'the renewed token is masked by the end action');
    assertNoSecretPrinted(end, [renewed]);
    assert.match(end.summary, /job-scoped task failed/);
    assert.ok(!existsSync(main.env.TASKBOUND_SVID_DIR));
    assertEnded(main.outputs['task-id'], 'failed');

    const post = await runner.step('post', inputs(), { state: main.state });
    assert.equal(post.code, 0);
    assert.match(post.stdout, /already ended/);
    const again = await runner.step('end', {}, { env: main.env });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already ended/);
  });
});

describe('job status in post (job-scoped mode)', () => {
  for (const [status, outcome] of [['failure', 'failed'], ['cancelled', 'aborted'], ['', 'failed']] as const) {
    it(`records job-status '${status}' as ${outcome}`, async () => {
      const main = await runner.step('main', inputs({ audiences: '' }));
      assert.equal(main.code, 0, visibleOutput(main));
      const post = await runner.step('post', inputs({ 'job-status': status }), { state: main.state });
      assert.equal(post.code, 0, visibleOutput(post));
      assert.match(post.summary, new RegExp(`job-scoped task ${outcome}`));
      assertEnded(main.outputs['task-id'], outcome);
      if (status === '') {
        assert.match(post.stdout, /unknown status \(job-status empty\); recorded as failed/);
      }
    });
  }

  it('declares job-status with the default ${{ job.status }}, which the runner evaluates when post starts', () => {
    const yml = readFileSync(`${ACTION_ROOT}/action.yml`, 'utf8');
    assert.match(yml, /^  job-status:\n(?:    .*\n)*?    default: \$\{\{ job\.status \}\}$/m);
  });
});

describe('token exchange (exchange-audiences)', () => {
  const DOWNSTREAM = 'sts.amazonaws.com\nhttps://vault.example';

  it('exchanges for downstream tokens, exports their files (AWS too), masks them, and post revokes them', async () => {
    const main = await runner.step('main', inputs({ audiences: '', 'exchange-audiences': DOWNSTREAM, 'aws-role-arn': 'arn:aws:iam::123456789012:role/deploy' }));
    assert.equal(main.code, 0, visibleOutput(main));
    const dir = main.env.TASKBOUND_SVID_DIR;
    const sts = `${dir}/downstream.sts.amazonaws.com.token`;
    const vault = `${dir}/downstream.https_3A_2F_2Fvault.example.token`;
    assert.equal(main.env.TASKBOUND_DOWNSTREAM_STS_2EAMAZONAWS_2ECOM_FILE, sts);
    assert.equal(main.env.TASKBOUND_DOWNSTREAM_HTTPS_3A_2F_2FVAULT_2EEXAMPLE_FILE, vault);
    assert.equal(main.env.AWS_WEB_IDENTITY_TOKEN_FILE, sts, 'the exchanged STS token, not a JWT-SVID');
    assert.equal(main.env.AWS_ROLE_ARN, 'arn:aws:iam::123456789012:role/deploy');
    assert.deepEqual(JSON.parse(main.outputs['downstream-token-files']), { 'sts.amazonaws.com': sts, 'https://vault.example': vault });
    // The JWT-SVID the exchange presents was asked for automatically: audience = the issuer.
    assert.deepEqual(Object.keys(JSON.parse(main.outputs['token-files'])), [issuer.url]);
    assert.equal(statSync(sts).mode & 0o777, 0o600);
    const tokensNow = [readFileSync(sts, 'utf8'), readFileSync(vault, 'utf8')];
    for (const t of tokensNow) {
      assert.ok(maskedValues(main).includes(t), 'downstream token masked');
    }
    assertNoSecretPrinted(main, tokensNow);
    const active = await issuer.introspect(tokensNow[0]);
    assert.equal(active.active, true);
    assert.deepEqual([active.aud].flat(), ['sts.amazonaws.com']);
    assert.equal(active.iss, issuer.url);

    const post = await runner.step('post', inputs({ 'job-status': 'success' }), { state: main.state });
    assert.equal(post.code, 0, visibleOutput(post));
    assertEnded(main.outputs['task-id'], 'succeeded');
    for (const t of tokensNow) {
      assert.equal((await issuer.introspect(t)).active, false, 'revoked with the task');
    }
  });

  it('refreshes them at renewal once past half their life; a refused refresh keeps the old token and warns', async () => {
    const probe = `${runner.temp}/probe-exchange`;
    const r = await runner.step('main', inputs({
      audiences: '',
      'exchange-audiences': DOWNSTREAM,
      run: [
        'set -eu',
        `mkdir -p ${probe}`,
        `cp "$TASKBOUND_DOWNSTREAM_STS_2EAMAZONAWS_2ECOM_FILE" ${probe}/sts-before`,
        `cp "$TASKBOUND_DOWNSTREAM_HTTPS_3A_2F_2FVAULT_2EEXAMPLE_FILE" ${probe}/vault-before`,
        // max_exchanges 3: two at begin, the STS refresh is the third, the Vault refresh is refused.
        `while cmp -s "$AWS_WEB_IDENTITY_TOKEN_FILE" ${probe}/sts-before; do sleep 0.2; done`,
        `cp "$AWS_WEB_IDENTITY_TOKEN_FILE" ${probe}/sts-after`,
        `cp "$TASKBOUND_DOWNSTREAM_HTTPS_3A_2F_2FVAULT_2EEXAMPLE_FILE" ${probe}/vault-after`,
      ].join('\n'),
    }));
    assert.equal(r.code, 0, visibleOutput(r));
    assert.match(r.stdout, /::warning::Taskbound: could not refresh the downstream token for https:\/\/vault\.example; the old one stays until it expires at /);
    assert.equal(readFileSync(`${probe}/vault-after`, 'utf8'), readFileSync(`${probe}/vault-before`, 'utf8'));
    const masked = maskedValues(r);
    const all = ['sts-before', 'sts-after', 'vault-before'].map((f) => readFileSync(`${probe}/${f}`, 'utf8'));
    assert.ok(all.every((t) => masked.includes(t)), 'every downstream token masked, the refreshed one too');
    assertNoSecretPrinted(r, all);
    assertEnded(r.outputs['task-id'], 'succeeded');
    for (const t of all) {
      assert.equal((await issuer.introspect(t)).active, false);
    }
  });

  it('fails the step and ends the task as failed when the issuer refuses an exchange', async () => {
    const r = await runner.step('main', inputs({ 'exchange-audiences': 'https://not-allowed.example', run: 'echo never' }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /::error::Taskbound: the issuer refused to exchange the task's JWT-SVID for a token for https:\/\/not-allowed\.example: invalid_target \(400\)/);
    assert.doesNotMatch(r.stdout, /^never$/m);
    assertNoSecretPrinted(r);
  });
});

describe('attestation audience', () => {
  it('asks GitHub for a token with attestation-audience when the issuer expects another audience', async () => {
    const other = await IssuerProcess.start(tokens.issuer, '', 'taskbound-gha');
    try {
      const refused = await runner.step('main', inputs({ 'issuer-url': other.url, run: 'true' }));
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /the issuer refused to begin the task/);
      const r = await runner.step('main', inputs({ 'issuer-url': other.url, 'attestation-audience': 'taskbound-gha', run: 'true' }));
      assert.equal(r.code, 0, visibleOutput(r));
      assert.equal(other.showTask(r.outputs['task-id']).outcome, 'succeeded');
      assertNoSecretPrinted(r);
    } finally {
      await other.stop();
    }
  });
});

describe('refusals', () => {
  it('fails clearly, printing no secret, when the issuer is unreachable', async () => {
    const port = await closedPort();
    const r = await runner.step('main', inputs({ 'issuer-url': `http://127.0.0.1:${port}`, run: 'echo never' }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /::error::Taskbound: could not reach the issuer at http:\/\/127\.0\.0\.1:\d+ to begin the task: ECONNREFUSED/);
    assert.doesNotMatch(r.stdout, /never/);
    assert.deepEqual(r.state, {});
    assertNoSecretPrinted(r);
  });

  it('fails clearly, naming the denial, when policy denies the task', async () => {
    tokens.claimOverrides = { ref: 'refs/heads/feature' };
    try {
      const r = await runner.step('main', inputs({ run: 'echo never' }));
      assert.equal(r.code, 1);
      assert.match(r.stdout, /::error::Taskbound: the issuer refused to begin the task: policy-denied \(403\): .*octo-repo-main/);
      assert.doesNotMatch(r.stdout, /never/);
      assertNoSecretPrinted(r);
    } finally {
      tokens.claimOverrides = {};
    }
  });

  it('fails with the fix when the job has no id-token permission', async () => {
    const r = await runner.step('main', inputs({ run: 'echo never' }), {
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' },
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /permissions: id-token: write/);
  });

  it('says that pull requests from forks get no OIDC token', async () => {
    const event = `${runner.temp}/fork-event.json`;
    writeFileSync(event, JSON.stringify({
      pull_request: { head: { repo: { full_name: 'someone/octo-repo' } }, base: { repo: { full_name: 'octo-org/octo-repo' } } },
    }));
    const r = await runner.step('main', inputs({ run: 'echo never' }), {
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: '', ACTIONS_ID_TOKEN_REQUEST_TOKEN: '', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event },
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /pull request from a fork, and GitHub gives such jobs no OIDC token/);
  });
});

/** Resolves once `condition` holds. No bound: a wait that never ends is a real failure (caught by the CI job's timeout), not a slow machine. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
