package dev.taskbound.issuer.evidence;

import dev.taskbound.client.evidence.TreeHash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The log's Merkle tree (RFC 6962 §2.1) in memory: every complete, aligned subtree hash, level by level (about two
 * hashes per leaf). Appending hashes O(1) amortised nodes; a root, inclusion proof or consistency proof for any
 * size touches O(log² n) stored nodes, never the whole log. Rebuilt from the stored leaf hashes on start.
 */
final class MerkleTree {
  /** level k holds the hashes of the complete subtrees of 2^k leaves, left to right. */
  private final List<HashArray> levels = new ArrayList<>();

  MerkleTree() {
    levels.add(new HashArray());
  }

  synchronized long size() {
    return levels.get(0).count;
  }

  synchronized void append(byte[] leafHash) {
    if (leafHash.length != TreeHash.SIZE) {
      throw new IllegalArgumentException("leaf hash is not 32 bytes");
    }
    levels.get(0).add(leafHash);
    for (int k = 0; levels.get(k).count % 2 == 0; k++) {
      if (levels.size() == k + 1) {
        levels.add(new HashArray());
      }
      HashArray level = levels.get(k);
      levels.get(k + 1).add(TreeHash.node(level.get(level.count - 2), level.get(level.count - 1)));
    }
  }

  /** Forgets every leaf from {@code size} on: undoes appends whose store transaction failed. */
  synchronized void truncate(long size) {
    checkSize(size);
    for (int k = 0; k < levels.size(); k++) {
      levels.get(k).count = (int) (size >>> k);
    }
  }

  synchronized byte[] leafHash(long index) {
    checkSize(index + 1);
    return levels.get(0).get((int) index);
  }

  /** MTH of the first {@code size} leaves. */
  synchronized byte[] root(long size) {
    checkSize(size);
    return size == 0 ? TreeHash.empty() : hash(0, size);
  }

  /** PATH(index, D[0:size]), RFC 9162 §2.1.3.1, leaf-most sibling first. */
  synchronized List<byte[]> inclusionProof(long index, long size) {
    checkSize(size);
    if (index < 0 || index >= size) {
      throw new IllegalArgumentException("leaf " + index + " is not in a tree of size " + size);
    }
    List<byte[]> proof = new ArrayList<>();
    path(index, 0, size, proof);
    return proof;
  }

  /** PROOF(first, D[0:second]), RFC 9162 §2.1.4.1; empty when first is 0 or equals second. */
  synchronized List<byte[]> consistencyProof(long first, long second) {
    checkSize(second);
    if (first < 0 || first > second) {
      throw new IllegalArgumentException("cannot prove " + first + " consistent with " + second);
    }
    List<byte[]> proof = new ArrayList<>();
    if (first > 0 && first < second) {
      subproof(first, 0, second, true, proof);
    }
    return proof;
  }

  private void path(long m, long lo, long hi, List<byte[]> out) {
    if (hi - lo <= 1) {
      return;
    }
    long k = split(hi - lo);
    if (m < k) {
      path(m, lo, lo + k, out);
      out.add(hash(lo + k, hi));
    } else {
      path(m - k, lo + k, hi, out);
      out.add(hash(lo, lo + k));
    }
  }

  private void subproof(long m, long lo, long hi, boolean complete, List<byte[]> out) {
    long n = hi - lo;
    if (m == n) {
      if (!complete) {
        out.add(hash(lo, hi));
      }
      return;
    }
    long k = split(n);
    if (m <= k) {
      subproof(m, lo, lo + k, complete, out);
      out.add(hash(lo + k, hi));
    } else {
      subproof(m - k, lo + k, hi, false, out);
      out.add(hash(lo, lo + k));
    }
  }

  /** MTH(D[lo:hi]) from the stored complete subtrees. */
  private byte[] hash(long lo, long hi) {
    long n = hi - lo;
    if (Long.bitCount(n) == 1 && lo % n == 0) {
      int level = Long.numberOfTrailingZeros(n);
      return levels.get(level).get((int) (lo >>> level));
    }
    long k = split(n);
    return TreeHash.node(hash(lo, lo + k), hash(lo + k, hi));
  }

  /** The largest power of two smaller than n (n > 1). */
  private static long split(long n) {
    return Long.highestOneBit(n - 1);
  }

  private void checkSize(long size) {
    if (size < 0 || size > levels.get(0).count) {
      throw new IllegalArgumentException("tree size " + size + " is beyond the log (" + levels.get(0).count + ")");
    }
  }

  /** A growable array of 32-byte hashes in one byte[], to keep millions of leaves cheap. */
  private static final class HashArray {
    private byte[] data = new byte[TreeHash.SIZE * 64];
    private int count;

    void add(byte[] hash) {
      if ((long) (count + 1) * TreeHash.SIZE > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("evidence log exceeds the in-memory tree's capacity");
      }
      if ((count + 1) * TreeHash.SIZE > data.length) {
        data = Arrays.copyOf(data, (int) Math.min(Integer.MAX_VALUE - 8L, (long) data.length * 2));
      }
      System.arraycopy(hash, 0, data, count * TreeHash.SIZE, TreeHash.SIZE);
      count++;
    }

    byte[] get(int i) {
      return Arrays.copyOfRange(data, i * TreeHash.SIZE, (i + 1) * TreeHash.SIZE);
    }
  }
}
