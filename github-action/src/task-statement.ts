import { createHash } from 'node:crypto';
import {
  InvalidEvidenceError,
  array,
  canonicalBytes,
  exactObject,
  integer,
  optionalText,
  parseCanonical,
  text,
  type Json,
  type JsonObject,
} from './canonical-json.js';

/**
 * The in-toto Statement v1 of one task, as the Java client's TaskStatement: the verifier re-derives it from the
 * log entries it carries and compares bytes, so the statement cannot say more than the log does.
 */

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://taskbound.dev/evidence/v1';

export interface LoggedEvent {
  leafIndex: number;
  event: JsonObject;
}

export interface CredentialStatus {
  kind: string;
  credentialId: string;
  spiffeId: string | null;
  audience: string | null;
  notBefore: number;
  expiresAt: number;
  revokedAt: number | null;
  residualExposureSeconds: number | null;
}

export interface TaskStatement {
  taskId: string;
  logOrigin: string;
  entries: LoggedEvent[];
  credentials: CredentialStatus[];
  outcome: string | null;
  endedAt: number | null;
}

/** The bytes hashed into the log for one entry. */
export function entryBytes(e: LoggedEvent): Buffer {
  return canonicalBytes(e.event);
}

/** Derives the statement of `taskId` from its entries in leaf order. */
export function deriveStatement(taskId: string, logOrigin: string, entries: LoggedEvent[]): TaskStatement {
  if (entries.length === 0) {
    throw new InvalidEvidenceError(`task ${taskId} has no entries`);
  }
  let previous = -1;
  const credentials = new Map<string, CredentialStatus>();
  const revokedAt = new Map<string, number>();
  let outcome: string | null = null;
  let endedAt: number | null = null;
  for (const e of entries) {
    if (e.leafIndex <= previous) {
      throw new InvalidEvidenceError('task entries are not in strictly increasing leaf order');
    }
    previous = e.leafIndex;
    const ev = e.event;
    if (optionalText(ev, 'task_id', 'event') !== taskId) {
      throw new InvalidEvidenceError(`entry ${e.leafIndex} belongs to another task`);
    }
    const type = text(ev, 'type', 'event');
    if (type === 'credential.issued' || type === 'token.exchanged') {
      const kind = text(ev, 'kind', 'event');
      const id = text(ev, 'credential_id', 'event');
      credentials.set(`${kind} ${id}`, {
        kind,
        credentialId: id,
        spiffeId: optionalText(ev, 'spiffe_id', 'event'),
        audience: optionalText(ev, 'audience', 'event'),
        notBefore: integer(ev, 'not_before', 'event'),
        expiresAt: integer(ev, 'expires_at', 'event'),
        revokedAt: null,
        residualExposureSeconds: null,
      });
    } else if (type === 'credential.revoked') {
      const key = `${text(ev, 'kind', 'event')} ${text(ev, 'credential_id', 'event')}`;
      if (!revokedAt.has(key)) {
        revokedAt.set(key, integer(ev, 'revoked_at', 'event'));
      }
    } else if (type === 'task.ended' && endedAt === null) {
      endedAt = integer(ev, 'time', 'event');
      outcome = text(ev, 'outcome', 'event');
    }
  }
  const statuses = [...credentials.entries()].map(([key, c]) => {
    const revoked = revokedAt.get(key) ?? null;
    const closedAt = revoked ?? endedAt;
    return {
      ...c,
      revokedAt: revoked,
      residualExposureSeconds: closedAt === null ? null : Math.max(0, c.expiresAt - closedAt),
    };
  });
  return { taskId, logOrigin, entries, credentials: statuses, outcome, endedAt };
}

/** The largest residual exposure of any credential, or null while some credential is still open. */
export function residualExposureSeconds(statement: TaskStatement): number | null {
  let max = 0;
  for (const c of statement.credentials) {
    if (c.residualExposureSeconds === null) {
      return null;
    }
    max = Math.max(max, c.residualExposureSeconds);
  }
  return max;
}

export function statementJson(s: TaskStatement): JsonObject {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: s.taskId, digest: { sha256: createHash('sha256').update(entryBytes(s.entries[0])).digest('hex') } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      task_id: s.taskId,
      log_origin: s.logOrigin,
      entries: s.entries.map((e) => ({ leaf_index: e.leafIndex, event: e.event })),
      credentials: s.credentials.map((c) => ({
        kind: c.kind,
        credential_id: c.credentialId,
        spiffe_id: c.spiffeId,
        audience: c.audience,
        not_before: c.notBefore,
        expires_at: c.expiresAt,
        revoked_at: c.revokedAt,
        residual_exposure_seconds: c.residualExposureSeconds,
      })),
      outcome: s.outcome,
      ended_at: s.endedAt,
      residual_exposure_seconds: residualExposureSeconds(s),
    },
  };
}

/** Reads the task id, origin and entries of a statement, re-derives the rest, and requires identical bytes. */
export function parseStatement(bytes: Uint8Array): TaskStatement {
  const st = exactObject(parseCanonical(bytes, 'statement'), 'statement', '_type', 'subject', 'predicateType', 'predicate');
  if (text(st, '_type', 'statement') !== STATEMENT_TYPE || text(st, 'predicateType', 'statement') !== PREDICATE_TYPE) {
    throw new InvalidEvidenceError('not a Taskbound evidence statement');
  }
  const predicate = exactObject(st.predicate, 'predicate', ...Object.keys(st.predicate as JsonObject));
  const entries = array(predicate, 'entries', 'predicate').map((e: Json) => {
    const eo = exactObject(e, 'entry', 'leaf_index', 'event');
    const event = eo.event;
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new InvalidEvidenceError('entry event is not an object');
    }
    return { leafIndex: integer(eo, 'leaf_index', 'entry'), event };
  });
  const derived = deriveStatement(text(predicate, 'task_id', 'predicate'), text(predicate, 'log_origin', 'predicate'), entries);
  if (!canonicalBytes(statementJson(derived)).equals(Buffer.from(bytes))) {
    throw new InvalidEvidenceError('statement does not match its entries');
  }
  return derived;
}
