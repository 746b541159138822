package dev.taskbound.client.evidence;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/** Verification of inclusion (RFC 9162 §2.1.3.2) and consistency (§2.1.4.2) proofs, step for step. */
public final class MerkleProofs {
  private MerkleProofs() {}

  /** True when {@code proof} shows the leaf with hash {@code leafHash} at {@code index} in the tree {@code root}. */
  public static boolean verifyInclusion(long index, long treeSize, byte[] leafHash, List<byte[]> proof, byte[] root) {
    if (index < 0 || index >= treeSize || !isHash(leafHash) || !isHash(root)) {
      return false;
    }
    long fn = index;
    long sn = treeSize - 1;
    byte[] r = leafHash;
    for (byte[] p : proof) {
      if (!isHash(p) || sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = TreeHash.node(p, r);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        r = TreeHash.node(r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(r, root);
  }

  /**
   * True when {@code proof} shows that the tree of {@code firstSize} leaves with root {@code firstRoot} is a
   * prefix of the tree of {@code secondSize} leaves with root {@code secondRoot}.
   */
  public static boolean verifyConsistency(
      long firstSize, long secondSize, byte[] firstRoot, byte[] secondRoot, List<byte[]> proof) {
    if (firstSize < 0 || secondSize < firstSize || !isHash(firstRoot) || !isHash(secondRoot)) {
      return false;
    }
    for (byte[] p : proof) {
      if (!isHash(p)) {
        return false;
      }
    }
    if (firstSize == secondSize) {
      return proof.isEmpty() && MessageDigest.isEqual(firstRoot, secondRoot);
    }
    if (firstSize == 0) {
      // Every tree extends the empty tree; RFC 9162 defines no proof for it.
      return proof.isEmpty() && MessageDigest.isEqual(firstRoot, TreeHash.empty());
    }
    if (proof.isEmpty()) {
      return false;
    }
    List<byte[]> path = new ArrayList<>(proof.size() + 1);
    if (Long.bitCount(firstSize) == 1) {
      path.add(firstRoot);
    }
    path.addAll(proof);
    long fn = firstSize - 1;
    long sn = secondSize - 1;
    while ((fn & 1) == 1) {
      fn >>= 1;
      sn >>= 1;
    }
    byte[] fr = path.get(0);
    byte[] sr = path.get(0);
    for (byte[] c : path.subList(1, path.size())) {
      if (sn == 0) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = TreeHash.node(c, fr);
        sr = TreeHash.node(c, sr);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        sr = TreeHash.node(sr, c);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(fr, firstRoot) && MessageDigest.isEqual(sr, secondRoot);
  }

  private static boolean isHash(byte[] h) {
    return h != null && h.length == TreeHash.SIZE;
  }
}
