package dev.taskbound.client;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Masks a step's secrets in console output, line by line (how CI consoles are filtered):
 *
 * <ul>
 *   <li>every known secret string (tokens of this issuance), longest first so no fragment survives;</li>
 *   <li>anything shaped like a JWS compact token ({@code eyJ….eyJ….sig}): renewals issue JWT-SVIDs the console
 *       filter, fixed when the step started, cannot know, and a printed JWT is a credential either way;</li>
 *   <li>the body lines of any PEM private key block ({@code svid_key.pem} is written where the step runs and its
 *       value never reaches the component that builds this masker).</li>
 * </ul>
 *
 * Serializable (its secrets included): adapters that persist it wrap the secrets first (Jenkins: {@code Secret}).
 */
public final class ConsoleMasker implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String MASK = "****";
  private static final Pattern JWS =
      Pattern.compile("eyJ[A-Za-z0-9_-]{2,}\\.eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{16,}");
  private static final Pattern PRIVATE_KEY_BEGIN = Pattern.compile("-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----");
  private static final Pattern PRIVATE_KEY_END = Pattern.compile("-----END [A-Z0-9 ]*PRIVATE KEY-----");

  private final ArrayList<String> secrets;

  public ConsoleMasker(Collection<String> secrets) {
    List<String> s = new ArrayList<>();
    for (String secret : secrets) {
      // Very short strings would mask ordinary output and protect nothing.
      if (secret != null && secret.length() >= 8) {
        s.add(secret);
      }
    }
    s.sort(Comparator.comparingInt(String::length).reversed());
    this.secrets = new ArrayList<>(s);
  }

  /** A masker for one output stream: it remembers whether it is inside a private key block. */
  public Lines lines() {
    return new Lines();
  }

  /** Masks one line with no PEM state (a single log message). */
  public String mask(String line) {
    return maskSecrets(line);
  }

  private String maskSecrets(String line) {
    String out = line;
    for (String secret : secrets) {
      if (out.contains(secret)) {
        out = out.replace(secret, MASK);
      }
    }
    return JWS.matcher(out).replaceAll(MASK);
  }

  /** Stateful per stream; not thread-safe (a stream is written by one writer at a time). */
  public final class Lines {
    private boolean inPrivateKey;

    private Lines() {}

    /** Masks {@code line}, which may end in {@code \n} or {@code \r\n}; the line ending is kept. */
    public String mask(String line) {
      int end = line.length();
      while (end > 0 && (line.charAt(end - 1) == '\n' || line.charAt(end - 1) == '\r')) {
        end--;
      }
      String body = line.substring(0, end);
      String eol = line.substring(end);
      if (inPrivateKey) {
        if (PRIVATE_KEY_END.matcher(body).find()) {
          inPrivateKey = false;
          return maskSecrets(body) + eol;
        }
        return (body.isBlank() ? body : MASK) + eol;
      }
      if (PRIVATE_KEY_BEGIN.matcher(body).find() && !PRIVATE_KEY_END.matcher(body).find()) {
        inPrivateKey = true;
      }
      return maskSecrets(body) + eol;
    }
  }

  @Override
  public String toString() {
    return "ConsoleMasker[" + secrets.size() + " secrets]";
  }
}
