import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

/** The JWS `typ` of a proof of possession (dev.taskbound.api.ProofOfPossession.JWS_TYPE). */
export const PROOF_TYPE = 'taskbound-pop+jwt';

export interface EcPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/**
 * The task's EC P-256 key pair, generated on the runner. Only the public JWK travels to the issuer; the private
 * key signs the proof of possession and is written only to the step's private directory.
 */
export class TaskKey {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicJwk: EcPublicJwk,
  ) {}

  static generate(): TaskKey {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    return new TaskKey(privateKey, { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) });
  }

  /** Unencrypted PKCS#8 PEM, for `svid_key.pem`. */
  privateKeyPem(): string {
    return this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /** Unencrypted PKCS#8 DER, as the Workload API sends it (`x509_svid_key`). */
  privateKeyDer(): Buffer {
    return this.privateKey.export({ format: 'der', type: 'pkcs8' });
  }

  /**
   * A compact ES256 JWS over {aud, iat, jti, attestation_sha256}: binds this key to one attestation and one issuer,
   * so the pair cannot be replayed elsewhere. JOSE wants the raw r‖s signature, not DER (RFC 7518 §3.4).
   */
  proofOfPossession(issuerUrl: string, attestationToken: string, now: Date = new Date()): string {
    const header = { alg: 'ES256', typ: PROOF_TYPE };
    const claims = {
      aud: issuerUrl,
      iat: Math.floor(now.getTime() / 1000),
      jti: randomUUID(),
      attestation_sha256: createHash('sha256').update(attestationToken, 'utf8').digest('base64url'),
    };
    const signingInput = `${base64UrlJson(header)}.${base64UrlJson(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /** The proof that collects the task of approved request `approvalId` (bound to it, not to an attestation). */
  proofForApproval(issuerUrl: string, approvalId: string, now: Date = new Date()): string {
    return this.sign({ aud: issuerUrl, iat: Math.floor(now.getTime() / 1000), jti: randomUUID(), approval_id: approvalId });
  }

  private sign(claims: Record<string, unknown>): string {
    const signingInput = `${base64UrlJson({ alg: 'ES256', typ: PROOF_TYPE })}.${base64UrlJson(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput, 'ascii'), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  toString(): string {
    return 'TaskKey[P-256, private=<redacted>]';
  }
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
