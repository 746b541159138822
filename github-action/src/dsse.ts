import {
  InvalidEvidenceError,
  array,
  decodeBase64Strict,
  exactObject,
  parseCanonical,
  text,
  type Json,
} from './canonical-json.js';
import type { NoteKey } from './signed-note.js';

/**
 * DSSE v1 envelopes. Signatures cover PAE(type, body), never the base64 text, so the payload type is bound into
 * every signature.
 */

export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signatures: { keyid: string; sig: Buffer }[];
}

/** `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal bytes. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${payload.length} `, 'ascii'),
    payload,
  ]);
}

export function envelopeFromJson(value: Json | undefined): DsseEnvelope {
  const o = exactObject(value, 'envelope', 'payload', 'payloadType', 'signatures');
  const signatures = array(o, 'signatures', 'envelope').map((s) => {
    const so = exactObject(s, 'envelope signature', 'keyid', 'sig');
    return { keyid: text(so, 'keyid', 'signature'), sig: decodeBase64Strict(text(so, 'sig', 'signature'), 'envelope signature') };
  });
  if (signatures.length === 0) {
    throw new InvalidEvidenceError('envelope has no signatures');
  }
  return {
    payloadType: text(o, 'payloadType', 'envelope'),
    payload: decodeBase64Strict(text(o, 'payload', 'envelope'), 'envelope payload'),
    signatures,
  };
}

export function parseEnvelope(bytes: Uint8Array): DsseEnvelope {
  return envelopeFromJson(parseCanonical(bytes, 'envelope'));
}

/** The payload, if `key` signed it under `expectedType`; otherwise throws. */
export function openEnvelope(envelope: DsseEnvelope, key: NoteKey, expectedType: string): Buffer {
  if (envelope.payloadType !== expectedType) {
    throw new InvalidEvidenceError(`envelope payload type is ${envelope.payloadType}, expected ${expectedType}`);
  }
  // Key ids are hints elsewhere; here a foreign key id is itself an error, so the envelope has one spelling.
  if (envelope.signatures.some((s) => s.keyid !== key.keyId)) {
    throw new InvalidEvidenceError('envelope carries a signature by an unknown key id');
  }
  const message = pae(envelope.payloadType, envelope.payload);
  if (!envelope.signatures.some((s) => key.verify(message, s.sig))) {
    throw new InvalidEvidenceError('envelope signature does not verify');
  }
  return envelope.payload;
}
