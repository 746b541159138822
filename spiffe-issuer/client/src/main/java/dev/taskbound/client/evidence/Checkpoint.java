package dev.taskbound.client.evidence;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A tree head in C2SP tlog-checkpoint form: the note body {@code origin\nsize\nbase64(root)\n}. No extension
 * lines are written; parsing rejects them too, since nothing here would check them.
 */
public record Checkpoint(String origin, long size, byte[] rootHash) {
  public Checkpoint {
    if (origin == null || origin.isEmpty() || origin.contains("\n")) {
      throw new InvalidEvidenceException("checkpoint origin must be one non-empty line");
    }
    if (size < 0) {
      throw new InvalidEvidenceException("checkpoint size is negative");
    }
    if (rootHash == null || rootHash.length != TreeHash.SIZE) {
      throw new InvalidEvidenceException("checkpoint root hash is not 32 bytes");
    }
    rootHash = rootHash.clone();
  }

  @Override
  public byte[] rootHash() {
    return rootHash.clone();
  }

  /** The note body the log signs. */
  public String body() {
    return origin + "\n" + size + "\n" + StrictBase64.encode(rootHash) + "\n";
  }

  public byte[] bodyBytes() {
    return body().getBytes(StandardCharsets.UTF_8);
  }

  /** Parses a note body; the inverse of {@link #body()}, accepting no other spelling. */
  public static Checkpoint parseBody(String body) {
    if (!body.endsWith("\n")) {
      throw new InvalidEvidenceException("checkpoint body does not end with a newline");
    }
    String[] lines = body.substring(0, body.length() - 1).split("\n", -1);
    if (lines.length != 3) {
      throw new InvalidEvidenceException("checkpoint body must have exactly three lines");
    }
    if (!lines[1].matches("0|[1-9][0-9]{0,18}")) {
      throw new InvalidEvidenceException("checkpoint size is not a decimal number");
    }
    long size;
    try {
      size = Long.parseLong(lines[1]);
    } catch (NumberFormatException e) {
      throw new InvalidEvidenceException("checkpoint size is out of range");
    }
    return new Checkpoint(lines[0], size, StrictBase64.decode(lines[2], "checkpoint root hash"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c
        && c.origin.equals(origin)
        && c.size == size
        && Arrays.equals(c.rootHash, rootHash);
  }

  @Override
  public int hashCode() {
    return origin.hashCode() * 31 + Long.hashCode(size) * 17 + Arrays.hashCode(rootHash);
  }

  @Override
  public String toString() {
    return "Checkpoint[" + origin + ", size=" + size + ", root=" + StrictBase64.encode(rootHash) + "]";
  }
}
