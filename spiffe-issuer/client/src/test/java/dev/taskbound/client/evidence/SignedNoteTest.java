package dev.taskbound.client.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignedNoteTest {
  @Test
  void checkpointNoteRoundTripsAndVerifiesWithTheVerifierKeyAlone() throws Exception {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    NoteKey key = NoteKey.ed25519("example.com/log", pair.getPublic());
    Checkpoint cp = new Checkpoint("example.com/log", 42, TreeHash.leaf(new byte[] {1}));
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(pair.getPrivate());
    s.update(cp.bodyBytes());
    String note = new SignedNote(cp.body(), List.of(new SignedNote.Line(key.name(), key.keyHash(), s.sign()))).text();

    assertThat(note).startsWith("example.com/log\n42\n").contains("\n\n\u2014 example.com/log ");
    NoteKey outsider = NoteKey.parse(key.verifierKey());
    assertThat(SignedNote.openCheckpoint(note, outsider)).isEqualTo(cp);

    String forged = note.replace("\n42\n", "\n43\n");
    assertThatThrownBy(() -> SignedNote.openCheckpoint(forged, outsider)).isInstanceOf(InvalidEvidenceException.class);
    NoteKey other = NoteKey.ed25519("example.com/log", KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
    assertThatThrownBy(() -> SignedNote.openCheckpoint(note, other)).isInstanceOf(InvalidEvidenceException.class);
  }

  @Test
  void verifierKeyHashMustMatch() throws Exception {
    NoteKey key = NoteKey.ed25519("log", KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic());
    String text = key.verifierKey();
    String wrongHash = "log+00000000+" + text.substring(text.indexOf('+', 4) + 1);
    assertThatThrownBy(() -> NoteKey.parse(wrongHash)).isInstanceOf(InvalidEvidenceException.class);
  }

  @Test
  void dssePaeIsTheSpecEncoding() {
    assertThat(new String(DsseEnvelope.pae("http://example.com/HelloWorld", "hello world".getBytes())))
        .isEqualTo("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  }
}
