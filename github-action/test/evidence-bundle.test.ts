import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { canonicalBytes, type Json } from '../src/canonical-json.js';
import { verifyConsistency } from '../src/evidence.js';
import { verifyEvidenceBundle, verifyReceipt } from '../src/evidence-verifier.js';
import { IssuerClient } from '../src/issuer-client.js';
import { NoteKey, openCheckpoint } from '../src/signed-note.js';
import { TaskKey } from '../src/task-key.js';
import { FakeTokenService } from './support/fake-token-service.js';
import { IssuerProcess } from './support/issuer.js';

// The action's verifier against evidence the real issuer (the Java implementation) produced.

let tokens: FakeTokenService;
let issuer: IssuerProcess;
let client: IssuerClient;
let bundle: Buffer;
let verifierKey: string;
let receipt: Json;

before(async () => {
  tokens = await FakeTokenService.start();
  issuer = await IssuerProcess.start(tokens.issuer);
  client = new IssuerClient(issuer.url);
  const key = TaskKey.generate();
  const attestation = tokens.mint(client.issuerUrl);
  const begun = await client.begin({
    attestation: { type: 'github', token: attestation },
    public_key: key.publicJwk,
    proof: key.proofOfPossession(client.issuerUrl, attestation),
    audiences: ['sts.amazonaws.com'],
    ttl: '5m',
  });
  await client.renew(begun.task_id, begun.control_token);
  const ended = await client.end(begun.task_id, begun.control_token, 'succeeded', 'bundle test');
  receipt = ended.receipt as Json;
  bundle = await client.evidenceBundle(begun.task_id);
  verifierKey = await client.evidenceKey();
});

after(async () => {
  await issuer?.stop();
  await tokens?.close();
});

describe("the issuer's evidence bundle, verified by the action", () => {
  it('verifies: checkpoint signature, DSSE signature, statement, every inclusion proof, credentials closed', () => {
    const r = verifyEvidenceBundle(bundle, verifierKey);
    assert.deepEqual(r.failures, []);
    assert.ok(r.ok);
    assert.equal(r.statement?.outcome, 'succeeded');
    // begun, 2 issued, renewed, 2 issued, ended, 4 revoked — at least one of each.
    assert.ok((r.statement?.entries.length ?? 0) >= 6);
    assert.equal(r.provenEntries, r.statement?.entries.length);
    assert.equal(r.statement?.credentials.length, 4);
  });

  it('fails when any byte of the bundle changes', () => {
    const text = bundle.toString('utf8');
    // A byte inside each part: the envelope payload, its signature, the checkpoint's root, a proof hash.
    const targets = [
      text.indexOf('"payload":"') + 40,
      text.indexOf('"sig":"') + 12,
      text.indexOf('"checkpoint":"') + text.slice(text.indexOf('"checkpoint":"')).indexOf('\\n') + 8,
      text.indexOf('"hashes":["') + 15,
    ];
    for (const at of targets) {
      const tampered = Buffer.from(bundle);
      tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
      const r = verifyEvidenceBundle(tampered, verifierKey);
      assert.ok(!r.ok, `byte ${at} (${text.slice(at - 5, at + 5)}) flipped, still verified`);
    }
    for (let at = 0; at < bundle.length; at += 97) {
      const tampered = Buffer.from(bundle);
      tampered[at] ^= 0x01;
      assert.ok(!verifyEvidenceBundle(tampered, verifierKey).ok, `byte ${at} flipped, still verified`);
    }
  });

  it('fails against another log key of the same name, naming the signature checks', () => {
    const name = verifierKey.split('+')[0];
    const data = Buffer.concat([Buffer.of(1), generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12)]);
    const hash = createHash('sha256').update(`${name}\n`).update(data).digest().subarray(0, 4).toString('hex');
    const r = verifyEvidenceBundle(bundle, `${name}+${hash}+${data.toString('base64')}`);
    assert.ok(!r.ok);
    assert.deepEqual([...new Set(r.failures.map((f) => f.check))], ['checkpoint-signature', 'envelope-signature']);
  });

  it("verifies the signed revocation receipt the end returned", () => {
    const r = verifyReceipt(receipt, verifierKey);
    assert.equal(r.outcome, 'succeeded');
    assert.equal(r.revoked.length, 4);
    const forged = JSON.parse(JSON.stringify(receipt)) as { payload: string };
    forged.payload = Buffer.from(Buffer.from(forged.payload, 'base64').toString().replace('succeeded', 'failed\u0000\u0000\u0000')).toString('base64');
    assert.throws(() => verifyReceipt(forged as unknown as Json, verifierKey), /signature/);
  });

  it("verifies the issuer's consistency proof between two checkpoints", async () => {
    const key = NoteKey.parse(verifierKey);
    const older = openCheckpoint(await get('/evidence/checkpoint'), key);
    // Grow the log by one more task.
    const k = TaskKey.generate();
    const attestation = tokens.mint(client.issuerUrl);
    await client.begin({
      attestation: { type: 'github', token: attestation },
      public_key: k.publicJwk,
      proof: k.proofOfPossession(client.issuerUrl, attestation),
      audiences: [],
    });
    const newer = openCheckpoint(await get('/evidence/checkpoint'), key);
    assert.ok(newer.size > older.size);
    const proof = JSON.parse(await get(`/evidence/proof/consistency?from=${older.size}&to=${newer.size}`)) as { proof: string[] };
    const hashes = proof.proof.map((h) => Buffer.from(h, 'base64'));
    assert.ok(verifyConsistency(older.size, newer.size, older.rootHash, newer.rootHash, hashes));
    assert.ok(!verifyConsistency(older.size, newer.size, newer.rootHash, older.rootHash, hashes));
  });

  it('canonicalises as the Java CanonicalJson does (the bundle is its own canonical form)', () => {
    assert.deepEqual(canonicalBytes(JSON.parse(bundle.toString('utf8')) as Json), bundle);
    assert.equal(canonicalBytes({ b: [1, 'é\n\u0001'], a: null, '\u00e9': true }).toString(), '{"a":null,"b":[1,"é\\n\\u0001"],"é":true}');
  });
});

async function get(path: string): Promise<string> {
  const r = await fetch(issuer.url + path);
  assert.equal(r.status, 200, path);
  return r.text();
}
