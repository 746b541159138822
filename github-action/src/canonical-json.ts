/**
 * RFC 8785 (JCS) restricted as the Java client's CanonicalJson: objects, arrays, strings, booleans, null and
 * integers within ±(2^53 − 1). Anything else is refused, so a signature never covers an ambiguous encoding.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class InvalidEvidenceError extends Error {
  override readonly name = 'InvalidEvidenceError';
}

export function canonicalString(value: Json): string {
  if (value === null || typeof value === 'boolean') {
    return String(value);
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidEvidenceError('evidence JSON allows integers within ±(2^53 − 1) only');
    }
    return String(value);
  }
  if (typeof value === 'string') {
    if (!value.isWellFormed()) {
      throw new InvalidEvidenceError('string holds a lone surrogate');
    }
    // JSON.stringify escapes exactly as JCS does for well-formed strings (\b \f \n \r \t, \u00xx for the rest < 0x20).
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return '[' + value.map(canonicalString).join(',') + ']';
  }
  // Default string sort compares UTF-16 code units, which is JCS's order.
  const names = Object.keys(value).sort();
  return '{' + names.map((n) => `${canonicalString(n)}:${canonicalString(value[n])}`).join(',') + '}';
}

export function canonicalBytes(value: Json): Buffer {
  return Buffer.from(canonicalString(value), 'utf8');
}

/**
 * Parses `bytes`, requiring them to be the canonical form of what they hold: a duplicate key, whitespace or any
 * other spelling changes the bytes and is refused.
 */
export function parseCanonical(bytes: Uint8Array, what: string): Json {
  let value: Json;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Json;
  } catch {
    throw new InvalidEvidenceError(`${what} is not valid JSON`);
  }
  if (!canonicalBytes(value).equals(Buffer.from(bytes))) {
    throw new InvalidEvidenceError(`${what} is not canonical JSON (RFC 8785)`);
  }
  return value;
}

/** Strict padded base64: exactly one spelling per byte string. */
export function decodeBase64Strict(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) {
    throw new InvalidEvidenceError(`${what} is not canonical base64`);
  }
  return bytes;
}

export type JsonObject = { [key: string]: Json };

/** `value` as an object holding exactly `fields`. */
export function exactObject(value: Json | undefined, what: string, ...fields: string[]): JsonObject {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidEvidenceError(`${what} is not an object`);
  }
  for (const name of Object.keys(value)) {
    if (!fields.includes(name)) {
      throw new InvalidEvidenceError(`${what} has unknown field ${name}`);
    }
  }
  for (const f of fields) {
    if (!(f in value)) {
      throw new InvalidEvidenceError(`${what} lacks field ${f}`);
    }
  }
  return value;
}

export function text(o: JsonObject, field: string, what: string): string {
  const v = o[field];
  if (typeof v !== 'string') {
    throw new InvalidEvidenceError(`${what}.${field} is not a string`);
  }
  return v;
}

export function optionalText(o: JsonObject, field: string, what: string): string | null {
  return o[field] === undefined || o[field] === null ? null : text(o, field, what);
}

export function integer(o: JsonObject, field: string, what: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new InvalidEvidenceError(`${what}.${field} is not an integer`);
  }
  return v;
}

export function array(o: JsonObject, field: string, what: string): Json[] {
  const v = o[field];
  if (!Array.isArray(v)) {
    throw new InvalidEvidenceError(`${what}.${field} is not an array`);
  }
  return v;
}
