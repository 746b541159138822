import { createHash } from 'node:crypto';

// Long names would break the 255-byte file-name limit; the "_h" prefix never arises from escaping ('h' is not hex).
const MAX_FILE_PART = 180;

/**
 * Audience → file name and environment-variable suffix, both injective, spelled exactly as the Java client's
 * AudienceNames so the action, the CLI and the Jenkins plugin give a step the same names.
 */

/** `jwt_svid.<part>.token`: `[A-Za-z0-9.-]` kept, every other UTF-8 byte `_XX`. */
export function tokenFileName(audience: string): string {
  return `jwt_svid.${filePart(audience)}.token`;
}

/** `downstream.<part>.token`: the downstream token exchanged for `audience`, the same escaping as tokenFileName. */
export function downstreamFileName(audience: string): string {
  return `downstream.${filePart(audience)}.token`;
}

function filePart(audience: string): string {
  const part = escape(audience, (c) => /[A-Za-z0-9.-]/.test(c), false);
  return part.length > MAX_FILE_PART ? '_h' + createHash('sha256').update(audience, 'utf8').digest('hex') : part;
}

/** `sts.amazonaws.com` → `STS_2EAMAZONAWS_2ECOM`: lower-case letters upper-cased, digits kept, the rest `_XX`. */
export function environmentSuffix(audience: string): string {
  return escape(audience, (c) => /[a-z0-9]/.test(c), true);
}

function escape(audience: string, keep: (c: string) => boolean, upperCase: boolean): string {
  let out = '';
  for (const byte of Buffer.from(audience, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (byte < 0x80 && keep(c)) {
      out += upperCase ? c.toUpperCase() : c;
    } else {
      out += '_' + byte.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}
