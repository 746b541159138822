// A relying party that is not Taskbound: reads only the issuer's discovery document and its jwks_uri, then verifies
// each downstream token with jose. Input (stdin): {"issuer": "...", "tokens": [{"token": "...", "audience": "..."}]}.
// Output (stdout): one JSON array of {alg, kid, payload} or {error} per token, in order.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const input = JSON.parse(await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (c) => { data += c; });
  process.stdin.on('end', () => resolve(data));
}));
const discovery = await (await fetch(`${input.issuer}/.well-known/openid-configuration`)).json();
if (discovery.issuer !== input.issuer) {
  throw new Error(`discovery names issuer ${discovery.issuer}`);
}
const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
const out = [];
for (const { token, audience } of input.tokens) {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: discovery.issuer,
      audience,
      algorithms: discovery.id_token_signing_alg_values_supported,
    });
    out.push({ alg: protectedHeader.alg, kid: protectedHeader.kid, payload });
  } catch (e) {
    out.push({ error: e.code || e.name });
  }
}
process.stdout.write(JSON.stringify(out));
