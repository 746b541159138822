import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * RFC 6962 §2.1 tree hashing and the RFC 9162 §2.1.3.2 / §2.1.4.2 proof verification algorithms, step for step
 * as the Java client's TreeHash and MerkleProofs. Indices are bigints inside: JavaScript's bitwise operators work
 * on 32 bits, and a log can outgrow that.
 */

/** Length of every hash in the log. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.of(0x00);
const NODE_PREFIX = Buffer.of(0x01);

/** SHA-256(0x00 ‖ entry): the leaf prefix keeps a leaf from passing as an interior node. */
export function leafHash(entry: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest();
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Buffer {
  return createHash('sha256').digest();
}

/** RFC 6962 §2.1 Merkle Tree Hash of whole entries (split at the largest power of two below n). */
export function merkleTreeHash(entries: readonly Uint8Array[]): Buffer {
  if (entries.length === 0) {
    return emptyRoot();
  }
  if (entries.length === 1) {
    return leafHash(entries[0]);
  }
  let k = 1;
  while (k * 2 < entries.length) {
    k *= 2;
  }
  return nodeHash(merkleTreeHash(entries.slice(0, k)), merkleTreeHash(entries.slice(k)));
}

/** True when `proof` shows the leaf `leaf` (its hash) at `index` in the tree of `treeSize` leaves with `root`. */
export function verifyInclusion(
  index: number | bigint,
  treeSize: number | bigint,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const idx = BigInt(index);
  const size = BigInt(treeSize);
  if (idx < 0n || idx >= size || !isHash(leaf) || !isHash(root)) {
    return false;
  }
  let fn = idx;
  let sn = size - 1n;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (!isHash(p) || sn === 0n) {
      return false;
    }
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && sameHash(r, root);
}

/** True when `proof` shows that the tree (firstSize, firstRoot) is a prefix of the tree (secondSize, secondRoot). */
export function verifyConsistency(
  firstSize: number | bigint,
  secondSize: number | bigint,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  const m = BigInt(firstSize);
  const n = BigInt(secondSize);
  if (m < 0n || n < m || !isHash(firstRoot) || !isHash(secondRoot) || !proof.every(isHash)) {
    return false;
  }
  if (m === n) {
    return proof.length === 0 && sameHash(firstRoot, secondRoot);
  }
  if (m === 0n) {
    // Every tree extends the empty tree; RFC 9162 defines no proof for it.
    return proof.length === 0 && sameHash(firstRoot, emptyRoot());
  }
  if (proof.length === 0) {
    return false;
  }
  const path: Uint8Array[] = (m & (m - 1n)) === 0n ? [firstRoot, ...proof] : [...proof];
  let fn = m - 1n;
  let sn = n - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) {
      return false;
    }
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && sameHash(fr, firstRoot) && sameHash(sr, secondRoot);
}

function isHash(h: Uint8Array | undefined): h is Uint8Array {
  return h instanceof Uint8Array && h.length === HASH_SIZE;
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
