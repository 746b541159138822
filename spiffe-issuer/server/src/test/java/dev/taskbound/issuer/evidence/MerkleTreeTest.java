package dev.taskbound.issuer.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.client.evidence.MerkleProofs;
import dev.taskbound.client.evidence.TreeHash;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tree and the RFC 9162 verifiers against an independent, naive reading of RFC 6962 §2.1 (recursive MTH,
 * PATH and PROOF over the leaf list), for every size 1..64 and every index / size pair, plus the published
 * RFC 6962 test-vector roots.
 */
class MerkleTreeTest {
  private static final int MAX = 64;

  @Test
  void emptyTreeRootIsSha256OfNothing() {
    assertThat(HexFormat.of().formatHex(new MerkleTree().root(0)))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void rootsMatchTheRfc6962TestVectors() {
    // The eight leaves of the certificate-transparency reference tests and the roots of each prefix.
    String[] leaves = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
    String[] roots = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    };
    MerkleTree tree = new MerkleTree();
    for (int i = 0; i < leaves.length; i++) {
      tree.append(TreeHash.leaf(HexFormat.of().parseHex(leaves[i])));
      assertThat(HexFormat.of().formatHex(tree.root(i + 1))).as("root of size %d", i + 1).isEqualTo(roots[i]);
    }
  }

  @Test
  void rootsAndInclusionProofsMatchTheNaiveDefinitionForEverySizeAndIndex() {
    List<byte[]> leaves = leaves(MAX);
    MerkleTree tree = tree(leaves);
    for (int n = 1; n <= MAX; n++) {
      List<byte[]> d = leaves.subList(0, n);
      byte[] root = mth(d);
      assertThat(tree.root(n)).isEqualTo(root);
      for (int m = 0; m < n; m++) {
        List<byte[]> proof = tree.inclusionProof(m, n);
        assertThat(proof).as("PATH(%d, D[%d])", m, n).containsExactlyElementsOf(path(m, d));
        assertThat(MerkleProofs.verifyInclusion(m, n, d.get(m), proof, root)).isTrue();
        assertThat(MerkleProofs.verifyInclusion(m, n, leaves.get(n), proof, root)).isFalse();
        if (n > 1) {
          assertThat(MerkleProofs.verifyInclusion((m + 1) % n, n, d.get(m), proof, root)).isFalse();
        }
        for (int j = 0; j < proof.size(); j++) {
          List<byte[]> bad = flip(proof, j);
          assertThat(MerkleProofs.verifyInclusion(m, n, d.get(m), bad, root)).isFalse();
        }
      }
    }
  }

  @Test
  void consistencyProofsMatchTheNaiveDefinitionForEveryPairOfSizes() {
    List<byte[]> leaves = leaves(MAX);
    MerkleTree tree = tree(leaves);
    for (int n = 1; n <= MAX; n++) {
      byte[] second = mth(leaves.subList(0, n));
      for (int m = 1; m <= n; m++) {
        byte[] first = mth(leaves.subList(0, m));
        List<byte[]> proof = tree.consistencyProof(m, n);
        List<byte[]> expected = m == n ? List.of() : subproof(m, leaves.subList(0, n), true);
        assertThat(proof).as("PROOF(%d, D[%d])", m, n).containsExactlyElementsOf(expected);
        assertThat(MerkleProofs.verifyConsistency(m, n, first, second, proof)).isTrue();
        for (int j = 0; j < proof.size(); j++) {
          assertThat(MerkleProofs.verifyConsistency(m, n, first, second, flip(proof, j))).isFalse();
        }
        if (m < n) {
          byte[] other = mth(leaves.subList(1, m + 1));
          assertThat(MerkleProofs.verifyConsistency(m, n, other, second, proof)).isFalse();
          assertThat(MerkleProofs.verifyConsistency(m, n, first, first, proof)).isFalse();
          assertThat(MerkleProofs.verifyConsistency(m, n, first, second, List.of())).isFalse();
        }
      }
      assertThat(MerkleProofs.verifyConsistency(0, n, TreeHash.empty(), second, List.of())).isTrue();
    }
  }

  @Test
  void truncateUndoesAppends() {
    List<byte[]> leaves = leaves(40);
    MerkleTree tree = tree(leaves);
    tree.truncate(13);
    assertThat(tree.size()).isEqualTo(13);
    for (int i = 13; i < 21; i++) {
      tree.append(leaves.get(i));
    }
    assertThat(tree.root(21)).isEqualTo(mth(leaves.subList(0, 21)));
  }

  // ---- the naive reference, RFC 6962 §2.1 read literally --------------------------------------------------

  private static byte[] mth(List<byte[]> d) {
    if (d.isEmpty()) {
      return TreeHash.empty();
    }
    if (d.size() == 1) {
      return d.get(0);
    }
    int k = largestPowerOfTwoBelow(d.size());
    return TreeHash.node(mth(d.subList(0, k)), mth(d.subList(k, d.size())));
  }

  private static List<byte[]> path(int m, List<byte[]> d) {
    List<byte[]> out = new ArrayList<>();
    if (d.size() <= 1) {
      return out;
    }
    int k = largestPowerOfTwoBelow(d.size());
    if (m < k) {
      out.addAll(path(m, d.subList(0, k)));
      out.add(mth(d.subList(k, d.size())));
    } else {
      out.addAll(path(m - k, d.subList(k, d.size())));
      out.add(mth(d.subList(0, k)));
    }
    return out;
  }

  private static List<byte[]> subproof(int m, List<byte[]> d, boolean b) {
    List<byte[]> out = new ArrayList<>();
    int n = d.size();
    if (m == n) {
      if (!b) {
        out.add(mth(d));
      }
      return out;
    }
    int k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      out.addAll(subproof(m, d.subList(0, k), b));
      out.add(mth(d.subList(k, n)));
    } else {
      out.addAll(subproof(m - k, d.subList(k, n), false));
      out.add(mth(d.subList(0, k)));
    }
    return out;
  }

  private static int largestPowerOfTwoBelow(int n) {
    int k = 1;
    while (k * 2 < n) {
      k *= 2;
    }
    return k;
  }

  private static List<byte[]> leaves(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i <= n; i++) {
      out.add(TreeHash.leaf(("entry " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static MerkleTree tree(List<byte[]> leaves) {
    MerkleTree tree = new MerkleTree();
    leaves.forEach(tree::append);
    return tree;
  }

  private static List<byte[]> flip(List<byte[]> proof, int j) {
    List<byte[]> bad = new ArrayList<>(proof);
    byte[] h = bad.get(j).clone();
    h[j % h.length] ^= 1;
    bad.set(j, h);
    return bad;
  }
}
