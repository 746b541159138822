import {
  InvalidEvidenceError,
  array,
  decodeBase64Strict,
  exactObject,
  integer,
  parseCanonical,
  text,
  type Json,
} from './canonical-json.js';
import { openEnvelope, envelopeFromJson } from './dsse.js';
import { leafHash, verifyInclusion } from './evidence.js';
import { NoteKey, openCheckpoint, type Checkpoint } from './signed-note.js';
import { entryBytes, parseStatement, type TaskStatement } from './task-statement.js';

/**
 * Offline verification of a task's evidence bundle with only the log's verifier key, as the Java client's
 * EvidenceVerifier: checkpoint signature, DSSE signature over PAE, statement re-derived from its entries, every
 * entry's inclusion proof against the checkpoint root, and every credential closed by the task's end.
 */

export const BUNDLE_MEDIA_TYPE = 'application/vnd.taskbound.evidence-bundle.v1+json';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const RECEIPT_PAYLOAD_TYPE = 'application/vnd.taskbound.revocation-receipt.v1+json';

export type Check =
  | 'bundle-format'
  | 'checkpoint-signature'
  | 'envelope-signature'
  | 'statement'
  | 'inclusion-proof'
  | 'task-ended'
  | 'credentials-closed';

export interface Failure {
  check: Check;
  detail: string;
}

export interface VerificationResult {
  ok: boolean;
  failures: Failure[];
  statement: TaskStatement | null;
  checkpoint: Checkpoint | null;
  /** How many inclusion proofs verified. */
  provenEntries: number;
}

interface InclusionProof {
  leafIndex: number;
  hashes: Buffer[];
}

export function verifyEvidenceBundle(bundle: Uint8Array, verifierKey: string): VerificationResult {
  const failures: Failure[] = [];
  let key: NoteKey;
  let parsed: { envelope: ReturnType<typeof envelopeFromJson>; checkpoint: string; proofs: InclusionProof[] };
  try {
    key = NoteKey.parse(verifierKey);
    parsed = parseBundle(bundle);
  } catch (e) {
    return result([{ check: 'bundle-format', detail: message(e) }], null, null, 0);
  }
  let checkpoint: Checkpoint | null = null;
  try {
    checkpoint = openCheckpoint(parsed.checkpoint, key);
    if (checkpoint.origin !== key.name) {
      failures.push({ check: 'checkpoint-signature', detail: "checkpoint origin is not the log key's name" });
    }
  } catch (e) {
    failures.push({ check: 'checkpoint-signature', detail: message(e) });
  }
  let statement: TaskStatement;
  try {
    const payload = openEnvelope(parsed.envelope, key, INTOTO_PAYLOAD_TYPE);
    try {
      statement = parseStatement(payload);
    } catch (e) {
      failures.push({ check: 'statement', detail: message(e) });
      return result(failures, null, checkpoint, 0);
    }
  } catch (e) {
    failures.push({ check: 'envelope-signature', detail: message(e) });
    return result(failures, null, checkpoint, 0);
  }
  if (statement.logOrigin !== key.name) {
    failures.push({ check: 'statement', detail: 'statement names another log' });
  }
  const proven = checkInclusion(statement, parsed.proofs, checkpoint, failures);
  checkCredentialsClosed(statement, failures);
  return result(failures, statement, checkpoint, proven);
}

function parseBundle(bytes: Uint8Array) {
  const o = exactObject(parseCanonical(bytes, 'bundle'), 'bundle', 'media_type', 'envelope', 'checkpoint', 'proofs');
  if (text(o, 'media_type', 'bundle') !== BUNDLE_MEDIA_TYPE) {
    throw new InvalidEvidenceError(`bundle media type is not ${BUNDLE_MEDIA_TYPE}`);
  }
  const proofs = array(o, 'proofs', 'bundle').map((p) => {
    const po = exactObject(p, 'proof', 'leaf_index', 'hashes');
    const hashes = array(po, 'hashes', 'proof').map((h) => {
      if (typeof h !== 'string') {
        throw new InvalidEvidenceError('proof hash is not a string');
      }
      return decodeBase64Strict(h, 'proof hash');
    });
    return { leafIndex: integer(po, 'leaf_index', 'proof'), hashes };
  });
  return { envelope: envelopeFromJson(o.envelope), checkpoint: text(o, 'checkpoint', 'bundle'), proofs };
}

function checkInclusion(
  statement: TaskStatement,
  proofs: InclusionProof[],
  checkpoint: Checkpoint | null,
  failures: Failure[],
): number {
  if (checkpoint === null) {
    failures.push({ check: 'inclusion-proof', detail: 'no trusted checkpoint to prove entries against' });
    return 0;
  }
  const entries = statement.entries;
  if (proofs.length !== entries.length) {
    failures.push({ check: 'inclusion-proof', detail: `${entries.length} entries but ${proofs.length} inclusion proofs` });
    return 0;
  }
  let proven = 0;
  entries.forEach((e, i) => {
    const p = proofs[i];
    if (p.leafIndex !== e.leafIndex) {
      failures.push({ check: 'inclusion-proof', detail: `proof ${i} is for leaf ${p.leafIndex}, entry is leaf ${e.leafIndex}` });
    } else if (!verifyInclusion(e.leafIndex, checkpoint.size, leafHash(entryBytes(e)), p.hashes, checkpoint.rootHash)) {
      failures.push({
        check: 'inclusion-proof',
        detail: `entry at leaf ${e.leafIndex} is not in the tree of size ${checkpoint.size}`,
      });
    } else {
      proven++;
    }
  });
  return proven;
}

function checkCredentialsClosed(statement: TaskStatement, failures: Failure[]): void {
  const endedAt = statement.endedAt;
  if (endedAt === null) {
    failures.push({ check: 'task-ended', detail: `task ${statement.taskId} has no task.ended entry` });
    return;
  }
  for (const c of statement.credentials) {
    if (c.revokedAt === null && c.expiresAt > endedAt) {
      failures.push({
        check: 'credentials-closed',
        detail: `${c.kind} ${c.credentialId} was neither revoked nor expired when the task ended`,
      });
    }
  }
}

export interface RevocationReceipt {
  taskId: string;
  endedAt: number;
  outcome: string;
  revoked: string[];
  taskEndedLeafIndex: number;
  checkpoint: Checkpoint;
}

/** Opens the signed revocation receipt `end` returns; throws when its signature or checkpoint does not verify. */
export function verifyReceipt(envelope: Json, verifierKey: string): RevocationReceipt {
  const key = NoteKey.parse(verifierKey);
  const payload = openEnvelope(envelopeFromJson(envelope), key, RECEIPT_PAYLOAD_TYPE);
  const o = exactObject(
    parseCanonical(payload, 'receipt'),
    'receipt',
    'task_id', 'ended_at', 'outcome', 'revoked', 'task_ended_leaf_index', 'checkpoint',
  );
  const checkpoint = openCheckpoint(text(o, 'checkpoint', 'receipt'), key);
  const taskEndedLeafIndex = integer(o, 'task_ended_leaf_index', 'receipt');
  if (taskEndedLeafIndex < 0 || BigInt(taskEndedLeafIndex) >= checkpoint.size) {
    throw new InvalidEvidenceError("receipt's task.ended leaf is outside its checkpoint");
  }
  return {
    taskId: text(o, 'task_id', 'receipt'),
    endedAt: integer(o, 'ended_at', 'receipt'),
    outcome: text(o, 'outcome', 'receipt'),
    revoked: array(o, 'revoked', 'receipt').map((r) => {
      if (typeof r !== 'string') {
        throw new InvalidEvidenceError('receipt revoked id is not a string');
      }
      return r;
    }),
    taskEndedLeafIndex,
    checkpoint,
  };
}

function result(failures: Failure[], statement: TaskStatement | null, checkpoint: Checkpoint | null, proven: number): VerificationResult {
  return { ok: failures.length === 0, failures, statement, checkpoint, provenEntries: proven };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
