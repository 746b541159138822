import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeTokenService } from './support/fake-token-service.js';
import { IssuerProcess, testPolicy } from './support/issuer.js';
import { FakeRunner, visibleOutput } from './support/runner.js';

// The action under a policy rule with approval:, as the runner runs dist/, against the real issuer jar: it prints
// the URL, a notice and a job-summary line, waits (long-poll) while an operator decides, then runs the command with
// the identity; a denial fails the step with the reason; a cancelled job withdraws the request.

let tokens: FakeTokenService;
let issuer: IssuerProcess;
let runner: FakeRunner;

/** The tests' policy, with the one rule gated on approval by release-managers. */
function gatedPolicy(issuerUrl: string): string {
  return testPolicy(issuerUrl) + '    approval: {group: release-managers, timeout: 10m}\n';
}

before(async () => {
  tokens = await FakeTokenService.start();
  issuer = await IssuerProcess.start(tokens.issuer, '', undefined, gatedPolicy);
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

function inputs(run: string): Record<string, string> {
  return { 'issuer-url': issuer.url, audiences: 'sts.amazonaws.com', shell: 'bash', 'workload-api': 'false', run };
}

/** The pending request the operator sees (`approvals list --pending`), once there is one more than `known`. */
async function nextPending(known: Set<string>): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const listed = issuer.cli('approvals', 'list', '--pending').stdout;
    const ids = [...listed.matchAll(/apr_[a-z2-7]{26}/g)].map((m) => m[0]).filter((id) => !known.has(id));
    if (ids.length > 0) {
      known.add(ids[0]);
      return ids[0];
    }
    await delay(250);
  }
  throw new Error('no approval request appeared');
}

function stateOf(approvalId: string): string {
  const line = issuer.cli('approvals', 'list').stdout.split('\n').find((l) => l.startsWith(approvalId)) ?? '';
  return line.split(/\s+/)[1] ?? '';
}

const seen = new Set<string>();

describe('approval gates', () => {
  it('prints the URL, a notice and a summary line, waits, and runs the command once an operator approves', async () => {
    const step = runner.step('main', inputs('echo "ran as $TASKBOUND_SPIFFE_ID"'));
    const id = await nextPending(seen);
    await delay(1500); // the step is in its long-poll now (waking it on the decision is ApprovalLongPollTest's)
    const approved = issuer.cli('approvals', 'approve', id, '--as', 'rita');
    assert.equal(approved.status, 0, approved.stderr);
    const r = await step;
    assert.equal(r.code, 0, visibleOutput(r));
    const out = visibleOutput(r);
    assert.match(out, new RegExp(`Taskbound: waiting for approval by release-managers: ${issuer.url}/v1/admin/approvals/${id} \\(request ${id}, expires `));
    assert.match(r.stdout, new RegExp(`::notice title=Approval needed::Taskbound: this step waits for approval by release-managers: ${issuer.url}/v1/admin/approvals/${id}`));
    assert.match(r.summary, /Taskbound: waiting for approval/);
    assert.match(r.summary, new RegExp(`<a href="${issuer.url}/v1/admin/approvals/${id}">`));
    assert.match(out, /ran as spiffe:\/\/taskbound\.test\/ci\/github\/octo-org\/octo-repo\//);
    const request = r.stdout.split('\n').find((l) => l.startsWith('::add-mask::tbar_'));
    assert.ok(request, 'the request token is masked');
    assert.equal(stateOf(id), 'issued');
  });

  it('fails the step with the reason when the request is denied; the command never runs', async () => {
    const step = runner.step('main', inputs('echo should-not-run'));
    const id = await nextPending(seen);
    const denied = issuer.cli('approvals', 'deny', id, '--as', 'rita', '--reason', 'change freeze');
    assert.equal(denied.status, 0, denied.stderr);
    const r = await step;
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /::error::Taskbound: approval denied by rita: change freeze/);
    assert.doesNotMatch(visibleOutput(r), /should-not-run/);
    assert.equal(stateOf(id), 'denied');
  });

  it('withdraws the request when the job is cancelled while it waits (SIGINT), and post has nothing to end', async () => {
    let pid = 0;
    const step = runner.step('main', inputs('echo should-not-run'), { onStart: (p) => (pid = p) });
    const id = await nextPending(seen);
    await delay(500);
    process.kill(pid, 'SIGINT');
    const r = await step;
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, new RegExp(`cancelled while waiting for approval; request ${id} withdrawn`));
    assert.equal(stateOf(id), 'withdrawn');
    const post = await runner.step('post', inputs(''), { state: r.state });
    assert.equal(post.code, 0, visibleOutput(post));
    assert.match(post.stdout, new RegExp(`approval request ${id} not withdrawn|approval request ${id} withdrawn`));
  });

  it('post withdraws a request that main left waiting (main killed outright)', async () => {
    let pid = 0;
    const step = runner.step('main', inputs('echo should-not-run'), { onStart: (p) => (pid = p) });
    const id = await nextPending(seen);
    await delay(500);
    process.kill(pid, 'SIGKILL');
    const r = await step;
    assert.equal(stateOf(id), 'pending');
    const post = await runner.step('post', inputs(''), { state: r.state });
    assert.equal(post.code, 0, visibleOutput(post));
    assert.match(post.stdout, new RegExp(`approval request ${id} withdrawn: no task was issued`));
    assert.equal(stateOf(id), 'withdrawn');
  });
});
