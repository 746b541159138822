package dev.taskbound.issuer.evidence;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.DsseEnvelope;
import dev.taskbound.client.evidence.EvidenceBundle;
import dev.taskbound.client.evidence.EvidenceFormat;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.InclusionProof;
import dev.taskbound.client.evidence.SignedNote;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The offline verifier ({@code taskbound evidence verify}, the Jenkins and GitHub adapters) reads bundles that
 * came over the network. Whatever the bytes, it must answer with a result listing failures, never throw. Two
 * shapes: raw bundle bytes, and bundles whose checkpoint and statement the log key really signed, so that the
 * statement and proof checks behind the signatures are reached. Seeds: {@code .../EvidenceVerifierFuzzTestInputs}.
 */
class EvidenceVerifierFuzzTest {
  static final Ed25519LogSigner LOG = new Ed25519LogSigner("taskbound.fuzz/log", Ed25519LogSigner.generate());

  @FuzzTest(maxDuration = "5s")
  void bundlesVerifyOrListFailures(FuzzedDataProvider data) {
    byte[] bundle;
    if (data.consumeBoolean()) {
      Checkpoint checkpoint = new Checkpoint(LOG.noteKey().name(), data.consumeLong(0, 1L << 40), Arrays.copyOf(data.consumeBytes(32), 32));
      String note = new SignedNote(checkpoint.body(),
          List.of(new SignedNote.Line(LOG.noteKey().name(), LOG.noteKey().keyHash(), LOG.sign(checkpoint.bodyBytes())))).text();
      List<InclusionProof> proofs = new ArrayList<>();
      for (int i = data.consumeInt(0, 3); i > 0; i--) {
        List<byte[]> hashes = new ArrayList<>();
        for (int j = data.consumeInt(0, 4); j > 0; j--) {
          hashes.add(data.consumeBytes(32));
        }
        proofs.add(new InclusionProof(data.consumeLong(-1, 1L << 40), hashes));
      }
      byte[] statement = data.consumeRemainingAsBytes();
      byte[] sig = LOG.sign(DsseEnvelope.pae(EvidenceFormat.INTOTO_PAYLOAD_TYPE, statement));
      DsseEnvelope envelope = new DsseEnvelope(EvidenceFormat.INTOTO_PAYLOAD_TYPE, statement,
          List.of(new DsseEnvelope.Signature(LOG.noteKey().keyId(), sig)));
      bundle = new EvidenceBundle(envelope, note, proofs).toBytes();
    } else {
      bundle = data.consumeRemainingAsBytes();
    }
    EvidenceVerifier.verify(bundle, LOG.noteKey());
  }
}
