import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { downstreamFileName, environmentSuffix, tokenFileName } from '../src/audience-names.js';
import { credentialEnvironment } from '../src/credential-environment.js';
import { parseAudiences } from '../src/inputs.js';
import { normaliseIssuerUrl } from '../src/issuer-client.js';
import { InvalidJwtSvid, verifyJwtSvid } from '../src/jwt-svid-verifier.js';
import { shellCommand } from '../src/shell-command.js';
import { PROOF_TYPE, TaskKey } from '../src/task-key.js';
import type { JwtAuthority } from '../src/workload-state.js';

describe('audience names (as the Java client AudienceNames)', () => {
  it('names token files and variables injectively, as documented in docs/cli.md', () => {
    assert.equal(tokenFileName('https://vault.example'), 'jwt_svid.https_3A_2F_2Fvault.example.token');
    assert.equal(tokenFileName('sts.amazonaws.com'), 'jwt_svid.sts.amazonaws.com.token');
    assert.equal(environmentSuffix('sts.amazonaws.com'), 'STS_2EAMAZONAWS_2ECOM');
    assert.notEqual(environmentSuffix('A'), environmentSuffix('a'));
    assert.equal(environmentSuffix('é_'), '_C3_A9_5F');
    assert.match(tokenFileName('x'.repeat(200)), /^jwt_svid\._h[0-9a-f]{64}\.token$/);
  });

  it('names downstream token files as AudienceNames.downstreamFile, with the same escaping', () => {
    assert.equal(downstreamFileName('sts.amazonaws.com'), 'downstream.sts.amazonaws.com.token');
    assert.equal(downstreamFileName('https://vault.example'), 'downstream.https_3A_2F_2Fvault.example.token');
    assert.equal(downstreamFileName('a_b'), 'downstream.a_5Fb.token');
    assert.match(downstreamFileName('x'.repeat(200)), /^downstream\._h[0-9a-f]{64}\.token$/);
  });

  it('exports downstream files, AWS_WEB_IDENTITY_TOKEN_FILE from the exchanged STS token, and AWS_ROLE_ARN', () => {
    const env = credentialEnvironment({
      directory: '/d', taskId: 't', spiffeId: 's', issuerUrl: 'u',
      tokenFiles: new Map([['sts.amazonaws.com', '/d/jwt']]),
      downstreamFiles: new Map([['sts.amazonaws.com', '/d/down']]),
      awsRoleArn: 'arn:aws:iam::1:role/r',
    });
    assert.equal(env.TASKBOUND_DOWNSTREAM_STS_2EAMAZONAWS_2ECOM_FILE, '/d/down');
    assert.equal(env.TASKBOUND_JWT_STS_2EAMAZONAWS_2ECOM_FILE, '/d/jwt');
    assert.equal(env.AWS_WEB_IDENTITY_TOKEN_FILE, '/d/down');
    assert.equal(env.AWS_ROLE_ARN, 'arn:aws:iam::1:role/r');
  });

  it('exports AWS_WEB_IDENTITY_TOKEN_FILE only for the STS audience', () => {
    const base = { directory: '/d', taskId: 't', spiffeId: 's', issuerUrl: 'u' };
    const withSts = credentialEnvironment({ ...base, tokenFiles: new Map([['sts.amazonaws.com', '/d/a']]) });
    assert.equal(withSts.AWS_WEB_IDENTITY_TOKEN_FILE, '/d/a');
    assert.equal(withSts.TASKBOUND_JWT_SVID_FILE, '/d/jwt_svid.token');
    const without = credentialEnvironment({ ...base, tokenFiles: new Map([['vault', '/d/v']]) });
    assert.equal(without.AWS_WEB_IDENTITY_TOKEN_FILE, undefined);
    assert.equal(without.TASKBOUND_JWT_VAULT_FILE, '/d/v');
  });
});

describe('inputs', () => {
  it('splits audiences at newlines and commas, keeping order and dropping blanks and repeats', () => {
    assert.deepEqual(parseAudiences(' sts.amazonaws.com, vault\n\nvault,https://x.example \n'), [
      'sts.amazonaws.com', 'vault', 'https://x.example',
    ]);
    assert.deepEqual(parseAudiences(''), []);
  });

  it('normalises the issuer URL to its audience form and refuses other schemes', () => {
    assert.equal(normaliseIssuerUrl('https://issuer.example/'), 'https://issuer.example');
    assert.equal(normaliseIssuerUrl('https://issuer.example/tb/'), 'https://issuer.example/tb');
    assert.throws(() => normaliseIssuerUrl('ftp://issuer.example'), /https URL/);
    assert.throws(() => normaliseIssuerUrl('https://issuer.example/?x=1'), /query/);
  });

  it('starts run scripts as a workflow step would', () => {
    assert.deepEqual(shellCommand('bash', '/t/run'), {
      file: 'bash', args: ['--noprofile', '--norc', '-eo', 'pipefail', '/t/run.sh'], scriptPath: '/t/run.sh',
    });
    assert.deepEqual(shellCommand('perl -w {0}', '/t/run'), { file: 'perl', args: ['-w', '/t/run'], scriptPath: '/t/run' });
    assert.throws(() => shellCommand('zsh', '/t/run'), /\{0\}/);
  });
});

describe('task key and proof of possession', () => {
  it('signs an ES256 JWS in JOSE form (raw r‖s) over aud, iat, jti and the attestation digest', () => {
    const key = TaskKey.generate();
    const jws = key.proofOfPossession('https://issuer.example', 'attestation-token', new Date(1_700_000_000_000));
    const [h, c, s] = jws.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'ES256', typ: PROOF_TYPE });
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    assert.equal(claims.aud, 'https://issuer.example');
    assert.equal(claims.iat, 1_700_000_000);
    assert.equal(claims.attestation_sha256, createHash('sha256').update('attestation-token').digest('base64url'));
    assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    const signature = Buffer.from(s, 'base64url');
    assert.equal(signature.length, 64, 'raw r‖s, not DER');
    const publicKey = createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' });
    assert.ok(verify('sha256', Buffer.from(`${h}.${c}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature));
  });

  it('never shows the private key in its public forms', () => {
    const key = TaskKey.generate();
    assert.deepEqual(Object.keys(key.publicJwk).sort(), ['crv', 'kty', 'x', 'y']);
    assert.equal(String(key), 'TaskKey[P-256, private=<redacted>]');
    assert.match(key.privateKeyPem(), /^-----BEGIN PRIVATE KEY-----\n/);
  });
});

describe('JWT-SVID validation for ValidateJWTSVID (as the CLI JwtSvidVerifier)', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const authorities = new Map<string, JwtAuthority>([
    ['ec1', { kid: 'ec1', kty: 'EC', key: ec.publicKey }],
    ['rsa1', { kid: 'rsa1', kty: 'RSA', key: rsa.publicKey }],
  ]);
  const td = 'spiffe://taskbound.test';
  const now = new Date('2026-01-01T00:00:00Z');
  const claims = { sub: `${td}/ci/x`, aud: ['sts.amazonaws.com'], exp: now.getTime() / 1000 + 60 };
  const jws = (header: Record<string, unknown>, body: Record<string, unknown>, key: KeyObject, opts: object = {}) => {
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(body)).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, ...opts }).toString('base64url')}`;
  };
  const es256 = (body: Record<string, unknown>, kid = 'ec1') =>
    jws({ alg: 'ES256', kid, typ: 'JWT' }, body, ec.privateKey, { dsaEncoding: 'ieee-p1363' });

  it('accepts a good ES256 and RS256 token and returns its claims', () => {
    assert.equal(verifyJwtSvid(es256(claims), 'sts.amazonaws.com', authorities, td, now).sub, claims.sub);
    const rs = jws({ alg: 'RS256', kid: 'rsa1' }, claims, rsa.privateKey);
    assert.deepEqual(verifyJwtSvid(rs, 'sts.amazonaws.com', authorities, td, now).aud, claims.aud);
  });

  it('refuses what the JWT-SVID spec refuses, saying why', () => {
    const refused = (token: string, why: RegExp, audience = 'sts.amazonaws.com') =>
      assert.throws(() => verifyJwtSvid(token, audience, authorities, td, now), (e: Error) => e instanceof InvalidJwtSvid && why.test(e.message));
    refused('not.a', /not a signed JWT/);
    refused(es256(claims, 'unknown'), /no JWT authority with kid unknown/);
    // The key decides the algorithm, never the header alone: an RSA key named by an ES256 header is refused.
    refused(jws({ alg: 'ES256', kid: 'rsa1' }, claims, ec.privateKey, { dsaEncoding: 'ieee-p1363' }), /algorithm ES256 does not match the RSA key rsa1/);
    refused(jws({ alg: 'none', kid: 'ec1' }, claims, ec.privateKey), /algorithm none does not match/);
    // ECDSA algorithms are bound to their curve: ES384 over a P-256 key is refused.
    refused(jws({ alg: 'ES384', kid: 'ec1' }, claims, ec.privateKey, { dsaEncoding: 'ieee-p1363' }), /algorithm ES384 does not match the EC key ec1/);
    const good = es256(claims);
    const signatureAt = good.lastIndexOf('.') + 1;
    const tampered = good.slice(0, signatureAt) + (good[signatureAt] === 'A' ? 'B' : 'A') + good.slice(signatureAt + 1);
    refused(tampered, /signature does not verify/);
    refused(es256({ ...claims, exp: now.getTime() / 1000 }), /token expired/);
    refused(es256(claims), /audience https:\/\/other\.example is not in the token's aud/, 'https://other.example');
    refused(es256({ ...claims, sub: 'spiffe://elsewhere.test/x' }), /sub is not in trust domain spiffe:\/\/taskbound\.test/);
    refused(es256({ ...claims, sub: 'user' }), /sub is not a SPIFFE ID/);
    refused(jws({ alg: 'ES256', kid: 'ec1', typ: 'at+jwt' }, claims, ec.privateKey, { dsaEncoding: 'ieee-p1363' }), /typ must be JWT or JOSE/);
  });
});
