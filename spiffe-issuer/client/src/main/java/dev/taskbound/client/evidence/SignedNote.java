package dev.taskbound.client.evidence;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A C2SP signed note: a body of newline-terminated lines, a blank line, then signature lines
 * {@code — name base64(keyhash ‖ signature)}. Signatures from unknown keys are ignored, as the spec says; a note
 * opens only if the expected key signed it.
 */
public record SignedNote(String body, List<Line> signatures) {
  private static final String DASH = "\u2014 ";

  /** One signature line. */
  public record Line(String keyName, byte[] keyHash, byte[] signature) {
    public Line {
      keyHash = keyHash.clone();
      signature = signature.clone();
    }

    @Override
    public byte[] keyHash() {
      return keyHash.clone();
    }

    @Override
    public byte[] signature() {
      return signature.clone();
    }

    String text() {
      byte[] both = Arrays.copyOf(keyHash, keyHash.length + signature.length);
      System.arraycopy(signature, 0, both, keyHash.length, signature.length);
      return DASH + keyName + " " + StrictBase64.encode(both) + "\n";
    }
  }

  public SignedNote {
    signatures = List.copyOf(signatures);
  }

  /** The full note text. */
  public String text() {
    StringBuilder out = new StringBuilder(body).append('\n');
    signatures.forEach(s -> out.append(s.text()));
    return out.toString();
  }

  /** Parses a note, rejecting anything not in exactly the signed-note shape. */
  public static SignedNote parse(String text) {
    int split = text.lastIndexOf("\n\n");
    if (split < 0 || !text.endsWith("\n")) {
      throw new InvalidEvidenceException("note has no signature block");
    }
    String body = text.substring(0, split + 1);
    if (body.contains("\n\n") || body.startsWith("\n")) {
      throw new InvalidEvidenceException("note body holds a blank line");
    }
    List<Line> lines = new ArrayList<>();
    for (String line : text.substring(split + 2, text.length() - 1).split("\n", -1)) {
      if (!line.startsWith(DASH)) {
        throw new InvalidEvidenceException("malformed signature line");
      }
      String[] parts = line.substring(DASH.length()).split(" ", -1);
      if (parts.length != 2 || !NoteKey.validName(parts[0])) {
        throw new InvalidEvidenceException("malformed signature line");
      }
      byte[] data = StrictBase64.decode(parts[1], "note signature");
      if (data.length < 5) {
        throw new InvalidEvidenceException("note signature is too short");
      }
      lines.add(new Line(parts[0], Arrays.copyOf(data, 4), Arrays.copyOfRange(data, 4, data.length)));
    }
    if (lines.isEmpty()) {
      throw new InvalidEvidenceException("note has no signatures");
    }
    return new SignedNote(body, lines);
  }

  /** The body, if {@code key} signed it; otherwise throws. */
  public String openWith(NoteKey key) {
    byte[] message = body.getBytes(StandardCharsets.UTF_8);
    for (Line line : signatures) {
      if (line.keyName().equals(key.name())
          && Arrays.equals(line.keyHash, key.keyHash())
          && key.verify(message, line.signature)) {
        return body;
      }
    }
    throw new InvalidEvidenceException("note is not signed by " + key.name());
  }

  /** Parses {@code text} as a checkpoint signed by {@code key}. */
  public static Checkpoint openCheckpoint(String text, NoteKey key) {
    return Checkpoint.parseBody(parse(text).openWith(key));
  }
}
