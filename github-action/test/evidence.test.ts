import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyRoot, leafHash, merkleTreeHash, nodeHash, verifyConsistency, verifyInclusion } from '../src/evidence.js';

// The RFC 6962 test leaves used by certificate-transparency; the roots were cross-checked against the Java
// client's TreeHash (jshell over spiffe-issuer/client/target/classes) and match the published vectors.
const LEAVES = [
  '', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

// Proof generation straight from RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (SUBPROOF), to test the verifiers against.
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) {
    k *= 2;
  }
  return k;
}

function inclusionPath(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) {
    return [];
  }
  const k = largestPowerOfTwoBelow(d.length);
  return m < k
    ? [...inclusionPath(m, d.slice(0, k)), merkleTreeHash(d.slice(k))]
    : [...inclusionPath(m - k, d.slice(k)), merkleTreeHash(d.slice(0, k))];
}

function subproof(m: number, d: Buffer[], complete: boolean): Buffer[] {
  const n = d.length;
  if (m === n) {
    return complete ? [] : [merkleTreeHash(d)];
  }
  const k = largestPowerOfTwoBelow(n);
  return m <= k
    ? [...subproof(m, d.slice(0, k), complete), merkleTreeHash(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), merkleTreeHash(d.slice(0, k))];
}

function flipped(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c[0] ^= 1;
  return c;
}

describe('RFC 6962 tree hashing', () => {
  it('hashes leaves and nodes with distinct prefixes, as the published vectors', () => {
    assert.equal(leafHash(Buffer.alloc(0)).toString('hex'), ROOTS[0]);
    assert.equal(nodeHash(leafHash(LEAVES[0]), leafHash(LEAVES[1])).toString('hex'), ROOTS[1]);
    assert.equal(emptyRoot().toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('computes the root of every tree of the test leaves', () => {
    for (let n = 1; n <= LEAVES.length; n++) {
      assert.equal(merkleTreeHash(LEAVES.slice(0, n)).toString('hex'), ROOTS[n - 1], `size ${n}`);
    }
  });
});

describe('RFC 9162 inclusion proofs', () => {
  it('accepts the proof of every leaf in every tree size', () => {
    for (let n = 1; n <= LEAVES.length; n++) {
      const root = Buffer.from(ROOTS[n - 1], 'hex');
      for (let m = 0; m < n; m++) {
        const proof = inclusionPath(m, LEAVES.slice(0, n));
        assert.ok(verifyInclusion(m, n, leafHash(LEAVES[m]), proof, root), `leaf ${m} of ${n}`);
      }
    }
  });

  it('refuses a wrong leaf, index, size, root, a flipped or missing or extra proof hash', () => {
    const n = 7;
    const m = 4;
    const root = Buffer.from(ROOTS[n - 1], 'hex');
    const proof = inclusionPath(m, LEAVES.slice(0, n));
    const leaf = leafHash(LEAVES[m]);
    assert.ok(verifyInclusion(m, n, leaf, proof, root));
    assert.ok(!verifyInclusion(m, n, leafHash(LEAVES[m + 1]), proof, root), 'other leaf');
    assert.ok(!verifyInclusion(m + 1, n, leaf, proof, root), 'other index');
    // (Size n + 1 has the same proof shape for this leaf: the signed checkpoint, not the proof, fixes the size.)
    assert.ok(!verifyInclusion(m, n - 2, leaf, proof, root), 'other size');
    assert.ok(!verifyInclusion(m, n, leaf, proof, flipped(root)), 'other root');
    assert.ok(!verifyInclusion(m, n, leaf, [flipped(proof[0]), ...proof.slice(1)], root), 'flipped hash');
    assert.ok(!verifyInclusion(m, n, leaf, proof.slice(1), root), 'missing hash');
    assert.ok(!verifyInclusion(m, n, leaf, [...proof, proof[0]], root), 'extra hash');
    assert.ok(!verifyInclusion(n, n, leaf, proof, root), 'index beyond the tree');
    assert.ok(!verifyInclusion(-1, n, leaf, proof, root), 'negative index');
    assert.ok(!verifyInclusion(m, n, leaf.subarray(1), proof, root), 'short leaf hash');
  });

  it('uses the leaf hash as the root of a one-leaf tree', () => {
    assert.ok(verifyInclusion(0, 1, leafHash(LEAVES[0]), [], Buffer.from(ROOTS[0], 'hex')));
  });

  it('works past 2^32 leaves (no 32-bit bitwise arithmetic)', () => {
    // In a tree of 2^32 + 1 leaves, the last leaf's proof is the single root of the first 2^32 leaves.
    const left = Buffer.alloc(32, 7);
    const leaf = leafHash(Buffer.from('last'));
    const root = nodeHash(left, leaf);
    assert.ok(verifyInclusion(2n ** 32n, 2n ** 32n + 1n, leaf, [left], root));
    assert.ok(!verifyInclusion(0, 2n ** 32n + 1n, leaf, [left], root));
  });
});

describe('RFC 9162 consistency proofs', () => {
  it('accepts the proof between every pair of tree sizes', () => {
    for (let n = 1; n <= LEAVES.length; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = m === n ? [] : subproof(m, LEAVES.slice(0, n), true);
        const ok = verifyConsistency(m, n, Buffer.from(ROOTS[m - 1], 'hex'), Buffer.from(ROOTS[n - 1], 'hex'), proof);
        assert.ok(ok, `${m} → ${n}`);
      }
    }
  });

  it('refuses swapped roots, a flipped hash, and a non-empty proof from the empty tree', () => {
    const proof = subproof(3, LEAVES.slice(0, 7), true);
    const r3 = Buffer.from(ROOTS[2], 'hex');
    const r7 = Buffer.from(ROOTS[6], 'hex');
    assert.ok(verifyConsistency(3, 7, r3, r7, proof));
    assert.ok(!verifyConsistency(3, 7, r7, r3, proof));
    assert.ok(!verifyConsistency(3, 7, r3, r7, [flipped(proof[0]), ...proof.slice(1)]));
    assert.ok(!verifyConsistency(7, 3, r7, r3, proof));
    assert.ok(!verifyConsistency(3, 7, r3, r7, []));
    assert.ok(verifyConsistency(0, 7, emptyRoot(), r7, []));
    assert.ok(!verifyConsistency(0, 7, emptyRoot(), r7, [r3]));
    assert.ok(verifyConsistency(7, 7, r7, r7, []));
    assert.ok(!verifyConsistency(7, 7, r7, r7, [r7]));
  });
});
