import { constants, verify } from 'node:crypto';
import { trustDomainOf, type JwtAuthority } from './workload-state.js';

/** Why a token was refused, in words safe to send back (never the token). */
export class InvalidJwtSvid extends Error {
  override readonly name = 'InvalidJwtSvid';
}

const EC_ALGS: Record<string, string> = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512' };
/** The curve each ECDSA algorithm is defined over (RFC 7518 §3.4): ES256 over a P-384 key is refused. */
const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const RSA_ALGS: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512', PS256: 'sha256', PS384: 'sha384', PS512: 'sha512' };

/**
 * Validates a JWT-SVID as the JWT-SVID spec asks, like the CLI's JwtSvidVerifier: a known `kid`, an algorithm that
 * belongs to that key's type (never the header's word alone), a good signature, `exp` in the future, the audience
 * present, and a `sub` that is a SPIFFE ID of the bundle's trust domain. Returns the claims.
 */
export function verifyJwtSvid(
  token: string,
  audience: string,
  authorities: ReadonlyMap<string, JwtAuthority>,
  trustDomainId: string,
  now: Date,
): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new InvalidJwtSvid('not a signed JWT');
  }
  const header = jsonPart(parts[0]);
  const claims = jsonPart(parts[1]);
  if (header.typ !== undefined && header.typ !== 'JWT' && header.typ !== 'JOSE') {
    throw new InvalidJwtSvid(`typ must be JWT or JOSE, not ${String(header.typ)}`);
  }
  if (typeof header.kid !== 'string') {
    throw new InvalidJwtSvid('no kid in the header');
  }
  const authority = authorities.get(header.kid);
  if (authority === undefined) {
    throw new InvalidJwtSvid(`no JWT authority with kid ${header.kid} in the bundle of ${trustDomainId}`);
  }
  if (!signatureVerifies(authority, String(header.alg), parts)) {
    throw new InvalidJwtSvid('signature does not verify');
  }
  if (typeof claims.exp !== 'number') {
    throw new InvalidJwtSvid('no exp claim');
  }
  if (now.getTime() >= claims.exp * 1000) {
    throw new InvalidJwtSvid(`token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  }
  const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!aud.includes(audience)) {
    throw new InvalidJwtSvid(`audience ${audience} is not in the token's aud`);
  }
  if (typeof claims.sub !== 'string' || !claims.sub.startsWith('spiffe://')) {
    throw new InvalidJwtSvid('sub is not a SPIFFE ID');
  }
  if (trustDomainOf(claims.sub) !== trustDomainId) {
    throw new InvalidJwtSvid(`sub is not in trust domain ${trustDomainId}`);
  }
  return claims;
}

function signatureVerifies(authority: JwtAuthority, alg: string, parts: string[]): boolean {
  const data = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
  const signature = Buffer.from(parts[2], 'base64url');
  try {
    if (authority.kty === 'EC' && alg in EC_ALGS && authority.key.asymmetricKeyDetails?.namedCurve === EC_CURVES[alg]) {
      return verify(EC_ALGS[alg], data, { key: authority.key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (authority.kty === 'RSA' && alg in RSA_ALGS) {
      const pss = alg.startsWith('PS');
      return verify(
        RSA_ALGS[alg],
        data,
        pss
          ? { key: authority.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
          : { key: authority.key, padding: constants.RSA_PKCS1_PADDING },
        signature,
      );
    }
  } catch {
    // A curve that does not match the algorithm, or a malformed signature.
    return false;
  }
  throw new InvalidJwtSvid(`algorithm ${alg} does not match the ${authority.kty} key ${authority.kid}`);
}

function jsonPart(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Falls through to the refusal.
  }
  throw new InvalidJwtSvid('not a signed JWT');
}
