package dev.taskbound.client.evidence;

import java.util.List;

/** The audit path of one leaf in the tree a checkpoint names. */
public record InclusionProof(long leafIndex, List<byte[]> hashes) {
  public InclusionProof {
    hashes = hashes.stream().map(byte[]::clone).toList();
  }

  @Override
  public List<byte[]> hashes() {
    return hashes.stream().map(byte[]::clone).toList();
  }
}
