import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { InvalidEvidenceError, decodeBase64Strict } from './canonical-json.js';
import { HASH_SIZE } from './evidence.js';

/**
 * C2SP signed notes and tlog checkpoints, and the log's Ed25519 verifier key (`name+hash+base64(0x01 ‖ key)`).
 * The algorithm is bound to the key: nothing read from a note or envelope selects it.
 */

const ALG_ED25519 = 0x01;
// DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410); the raw 32-byte key follows it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const DASH = '\u2014 ';

export class NoteKey {
  private constructor(
    readonly name: string,
    private readonly rawKey: Buffer,
    readonly keyHash: Buffer,
    private readonly publicKey: KeyObject,
  ) {}

  /** Parses a verifier key, checking that its hash matches its name and key. */
  static parse(verifierKey: string): NoteKey {
    // The key data is base64 and may itself hold '+': split at the first two only.
    const textForm = verifierKey.trim();
    const first = textForm.indexOf('+');
    const second = first < 0 ? -1 : textForm.indexOf('+', first + 1);
    if (second < 0) {
      throw new InvalidEvidenceError('verifier key is not name+hash+key');
    }
    const name = textForm.slice(0, first);
    const hash = textForm.slice(first + 1, second);
    if (!validKeyName(name) || !/^[0-9a-f]{8}$/.test(hash)) {
      throw new InvalidEvidenceError('verifier key is not name+hash+key');
    }
    const data = decodeBase64Strict(textForm.slice(second + 1), 'verifier key');
    if (data.length !== 33 || data[0] !== ALG_ED25519) {
      throw new InvalidEvidenceError('verifier key is not an Ed25519 signed-note key');
    }
    const rawKey = data.subarray(1);
    const keyHash = createHash('sha256').update(name, 'utf8').update('\n').update(data).digest().subarray(0, 4);
    if (keyHash.toString('hex') !== hash) {
      throw new InvalidEvidenceError('verifier key hash does not match its name and key');
    }
    const publicKey = createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, rawKey]),
      format: 'der',
      type: 'spki',
    });
    return new NoteKey(name, Buffer.from(rawKey), Buffer.from(keyHash), publicKey);
  }

  /** The DSSE `keyid`: hex SHA-256 of the raw public key. */
  get keyId(): string {
    return createHash('sha256').update(this.rawKey).digest('hex');
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    try {
      return verify(null, message, this.publicKey, signature);
    } catch {
      return false;
    }
  }
}

export interface SignatureLine {
  keyName: string;
  keyHash: Buffer;
  signature: Buffer;
}

export interface SignedNote {
  body: string;
  signatures: SignatureLine[];
}

/** Parses a note, refusing anything not in exactly the signed-note shape. */
export function parseSignedNote(noteText: string): SignedNote {
  const split = noteText.lastIndexOf('\n\n');
  if (split < 0 || !noteText.endsWith('\n')) {
    throw new InvalidEvidenceError('note has no signature block');
  }
  const body = noteText.slice(0, split + 1);
  if (body.includes('\n\n') || body.startsWith('\n')) {
    throw new InvalidEvidenceError('note body holds a blank line');
  }
  const signatures = noteText
    .slice(split + 2, noteText.length - 1)
    .split('\n')
    .map(parseSignatureLine);
  return { body, signatures };
}

function parseSignatureLine(line: string): SignatureLine {
  if (!line.startsWith(DASH)) {
    throw new InvalidEvidenceError('malformed signature line');
  }
  const parts = line.slice(DASH.length).split(' ');
  if (parts.length !== 2 || !validKeyName(parts[0])) {
    throw new InvalidEvidenceError('malformed signature line');
  }
  const data = decodeBase64Strict(parts[1], 'note signature');
  if (data.length < 5) {
    throw new InvalidEvidenceError('note signature is too short');
  }
  return { keyName: parts[0], keyHash: data.subarray(0, 4), signature: data.subarray(4) };
}

/** The body, if `key` signed it; signatures by other keys are ignored, as the spec says. */
export function openSignedNote(note: SignedNote, key: NoteKey): string {
  const message = Buffer.from(note.body, 'utf8');
  for (const line of note.signatures) {
    if (line.keyName === key.name && line.keyHash.equals(key.keyHash) && key.verify(message, line.signature)) {
      return note.body;
    }
  }
  throw new InvalidEvidenceError(`note is not signed by ${key.name}`);
}

export interface Checkpoint {
  origin: string;
  size: bigint;
  rootHash: Buffer;
}

/** A tlog-checkpoint body `origin\nsize\nbase64(root)\n`; extension lines are refused, as nothing would check them. */
export function parseCheckpointBody(body: string): Checkpoint {
  if (!body.endsWith('\n')) {
    throw new InvalidEvidenceError('checkpoint body does not end with a newline');
  }
  const lines = body.slice(0, -1).split('\n');
  if (lines.length !== 3) {
    throw new InvalidEvidenceError('checkpoint body must have exactly three lines');
  }
  if (lines[0] === '' || !/^(0|[1-9][0-9]{0,18})$/.test(lines[1])) {
    throw new InvalidEvidenceError('checkpoint origin or size is malformed');
  }
  const size = BigInt(lines[1]);
  if (size > 0x7fffffffffffffffn) {
    throw new InvalidEvidenceError('checkpoint size is out of range');
  }
  const rootHash = decodeBase64Strict(lines[2], 'checkpoint root hash');
  if (rootHash.length !== HASH_SIZE) {
    throw new InvalidEvidenceError('checkpoint root hash is not 32 bytes');
  }
  return { origin: lines[0], size, rootHash };
}

/** Parses `noteText` as a checkpoint signed by `key`. */
export function openCheckpoint(noteText: string, key: NoteKey): Checkpoint {
  return parseCheckpointBody(openSignedNote(parseSignedNote(noteText), key));
}

function validKeyName(name: string): boolean {
  return name.length > 0 && !/[+\s]/.test(name);
}
