import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import type { JwtSvid, Svids } from './issuer-client.js';

/** A JWT authority of the trust domain: its key, with the key type bound in (the verifier never trusts `alg` alone). */
export interface JwtAuthority {
  kid: string;
  kty: 'EC' | 'RSA';
  key: KeyObject;
}

/**
 * The task's credentials in Workload API form (DER bytes, a JWKS), converted once per rotation so every stream
 * sends the same bytes — as the CLI's WorkloadState.
 */
export interface WorkloadState {
  spiffeId: string;
  /** The trust domain as a SPIFFE ID (`spiffe://example.org`), the key of the bundle maps. */
  trustDomainId: string;
  /** Leaf first, then intermediates: ASN.1 DER, concatenated. */
  x509SvidDer: Buffer;
  /** PKCS#8 DER, unencrypted. */
  privateKeyDer: Buffer;
  /** The trust domain's CA certificates: ASN.1 DER, concatenated. */
  bundleDer: Buffer;
  jwtSvids: readonly JwtSvid[];
  /** A JWKS holding only the `jwt-svid` keys of the issuer's bundle document. */
  jwtBundleJson: Buffer;
  jwtAuthorities: ReadonlyMap<string, JwtAuthority>;
}

/** `bundleJson`: the issuer's `GET /bundle` document (null: none could be fetched, so no JWT authorities). */
export function workloadState(svids: Svids, privateKeyDer: Buffer, bundleJson: string | null): WorkloadState {
  const keys = jwtSvidKeys(bundleJson);
  return {
    spiffeId: svids.spiffe_id,
    trustDomainId: trustDomainOf(svids.spiffe_id),
    x509SvidDer: certificatesDer(svids.x509_svid_chain_pem),
    privateKeyDer,
    bundleDer: certificatesDer(svids.bundle_pem),
    jwtSvids: svids.jwt_svids,
    jwtBundleJson: Buffer.from(JSON.stringify({ keys }), 'utf8'),
    jwtAuthorities: new Map(keys.map((k) => [String(k.kid), authority(k)])),
  };
}

/** `spiffe://<trust domain>` of a SPIFFE ID. */
export function trustDomainOf(spiffeId: string): string {
  return `spiffe://${new URL(spiffeId).host}`;
}

/** The certificates of a PEM bundle as concatenated DER, in order; each must parse as X.509. */
export function certificatesDer(pem: string): Buffer {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) {
    throw new Error('the issuer sent no certificate where one was expected');
  }
  return Buffer.concat(
    blocks.map((b) => {
      const der = Buffer.from(b[1].replace(/\s+/g, ''), 'base64');
      new X509Certificate(der); // throws when it does not parse
      return der;
    }),
  );
}

type Jwk = Record<string, unknown>;

/** The `use: jwt-svid` keys of a SPIFFE bundle document; x509 authorities carry no kid and would confuse JWKS readers. */
function jwtSvidKeys(bundleJson: string | null): Jwk[] {
  if (bundleJson === null) {
    return [];
  }
  const keys = (JSON.parse(bundleJson) as { keys?: unknown }).keys;
  return Array.isArray(keys) ? (keys as Jwk[]).filter((k) => k.use === 'jwt-svid' && typeof k.kid === 'string') : [];
}

function authority(jwk: Jwk): JwtAuthority {
  if (jwk.kty !== 'EC' && jwk.kty !== 'RSA') {
    throw new Error(`the issuer's bundle holds a JWT key of type ${String(jwk.kty)}`);
  }
  const { kty, crv, x, y, n, e } = jwk;
  const publicOnly = kty === 'EC' ? { kty, crv, x, y } : { kty, n, e };
  return { kid: String(jwk.kid), kty, key: createPublicKey({ key: publicOnly as import('node:crypto').JsonWebKey, format: 'jwk' }) };
}
