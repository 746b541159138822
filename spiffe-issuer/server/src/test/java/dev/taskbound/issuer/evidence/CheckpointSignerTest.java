package dev.taskbound.issuer.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.client.evidence.TreeHash;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckpointSignerTest {
  private static final String ORIGIN = "issuer.example/evidence";
  private final LogSigner key = new Ed25519LogSigner(ORIGIN, Ed25519LogSigner.generate());

  private static MerkleTree tree(String prefix, int n) {
    MerkleTree t = new MerkleTree();
    for (int i = 0; i < n; i++) {
      t.append(TreeHash.leaf((prefix + i).getBytes(StandardCharsets.UTF_8)));
    }
    return t;
  }

  @Test
  void signsATreeThatExtendsTheLastSignedOne() {
    MerkleTree t = tree("a", 10);
    CheckpointSigner signer = new CheckpointSigner(key, null);
    CheckpointSigner.Signed first = signer.sign(new Checkpoint(ORIGIN, 4, t.root(4)), List.of());
    signer.committed(first);
    assertThat(signer.lastNote()).isEqualTo(first.note());
    String second = signer.sign(new Checkpoint(ORIGIN, 10, t.root(10)), t.consistencyProof(4, 10)).note();
    assertThat(SignedNote.openCheckpoint(second, key.noteKey()).size()).isEqualTo(10);
  }

  @Test
  void neverSignsATreeInconsistentWithTheLastSignedOne() {
    MerkleTree honest = tree("a", 10);
    MerkleTree forked = tree("a", 3);
    for (int i = 3; i < 10; i++) {
      forked.append(TreeHash.leaf(("forked" + i).getBytes(StandardCharsets.UTF_8)));
    }
    CheckpointSigner signer = new CheckpointSigner(key, null);
    signer.committed(signer.sign(new Checkpoint(ORIGIN, 5, honest.root(5)), List.of()));
    // The fork's own proof is internally valid, but from a different size-5 tree than the one signed.
    assertThatThrownBy(() -> signer.sign(new Checkpoint(ORIGIN, 10, forked.root(10)), forked.consistencyProof(5, 10)))
        .isInstanceOf(EvidenceException.class).hasMessageContaining("not consistent");
    // Same size, different root; a smaller tree; a bogus proof.
    assertThatThrownBy(() -> signer.sign(new Checkpoint(ORIGIN, 5, forked.root(5)), List.of()))
        .isInstanceOf(EvidenceException.class);
    assertThatThrownBy(() -> signer.sign(new Checkpoint(ORIGIN, 4, honest.root(4)), List.of()))
        .isInstanceOf(EvidenceException.class);
    assertThatThrownBy(() -> signer.sign(new Checkpoint(ORIGIN, 10, honest.root(10)), List.of()))
        .isInstanceOf(EvidenceException.class);
  }

  @Test
  void aSignedButUncommittedCheckpointIsNotTheReference() {
    MerkleTree t = tree("a", 10);
    MerkleTree other = tree("b", 10);
    CheckpointSigner signer = new CheckpointSigner(key, null);
    signer.committed(signer.sign(new Checkpoint(ORIGIN, 2, t.root(2)), List.of()));
    signer.sign(new Checkpoint(ORIGIN, 6, t.root(6)), t.consistencyProof(2, 6));
    assertThat(signer.lastSigned().size()).isEqualTo(2);
    assertThatThrownBy(() -> signer.sign(new Checkpoint(ORIGIN, 6, other.root(6)), other.consistencyProof(2, 6)))
        .isInstanceOf(EvidenceException.class);
  }

  @Test
  void aNoteReadBackIsTakenInOnlyWhenItsSignatureVerifies() {
    MerkleTree t = tree("a", 10);
    CheckpointSigner signer = new CheckpointSigner(key, null);
    signer.committed(signer.sign(new Checkpoint(ORIGIN, 2, t.root(2)), List.of()));
    // A note of the same origin under another key, as a tampered store or a foreign replica would hand back.
    LogSigner impostor = new Ed25519LogSigner(ORIGIN, Ed25519LogSigner.generate());
    String forged = new CheckpointSigner(impostor, null).sign(new Checkpoint(ORIGIN, 6, t.root(6)), List.of()).note();
    assertThatThrownBy(() -> signer.committed(forged)).isInstanceOf(RuntimeException.class);
    assertThat(signer.lastSigned().size()).isEqualTo(2);
    String genuine = new CheckpointSigner(key, null).sign(new Checkpoint(ORIGIN, 6, t.root(6)), List.of()).note();
    signer.committed(genuine);
    assertThat(signer.lastSigned().size()).isEqualTo(6);
  }
}
