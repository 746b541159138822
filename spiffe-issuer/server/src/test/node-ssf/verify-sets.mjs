// Verifies Security Event Tokens the way an independent SSF receiver would: it knows only the transmitter's
// issuer URL, reads /.well-known/ssf-configuration, takes its jwks_uri and checks each SET with `jose`.
// Usage: node verify-sets.mjs ISSUER_URL AUDIENCE < sets.txt (one compact JWS per line).
// Prints one JSON line per SET: {"typ", "kid", "payload"}; exits non-zero on the first SET that does not verify.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { readFileSync } from 'node:fs';

const [issuer, audience] = process.argv.slice(2);
if (!issuer || !audience) {
  console.error('usage: node verify-sets.mjs ISSUER_URL AUDIENCE < sets.txt');
  process.exit(2);
}
const res = await fetch(`${issuer}/.well-known/ssf-configuration`);
if (!res.ok) throw new Error(`ssf-configuration: HTTP ${res.status}`);
const config = await res.json();
if (config.issuer !== issuer) throw new Error(`ssf-configuration names issuer ${config.issuer}`);
const jwks = createRemoteJWKSet(new URL(config.jwks_uri));

const sets = readFileSync(0, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
for (const set of sets) {
  // What a receiver relies on: signature, explicit typing (RFC 8417 §2.3), iss, aud, iat, jti, and one event
  // per SET (SSF 1.0).
  const { payload, protectedHeader } = await jwtVerify(set, jwks, {
    issuer,
    audience,
    typ: 'secevent+jwt',
    algorithms: ['ES256'],
    requiredClaims: ['iat', 'jti', 'events'],
  });
  if (Object.keys(payload.events).length !== 1) throw new Error('a SET must carry exactly one event');
  console.log(JSON.stringify({ typ: protectedHeader.typ, kid: protectedHeader.kid, payload }));
}
