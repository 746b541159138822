package dev.taskbound.client;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link StepAgent} in this process: what a Jenkins agent-side callable runs once it arrives, and what tests use
 * directly.
 */
public final class LocalStepAgent implements StepAgent {
  private final Clock clock;

  public LocalStepAgent(Clock clock) {
    this.clock = clock;
  }

  public LocalStepAgent() {
    this(Clock.systemUTC());
  }

  @Override
  public KeyOffer createKey(String parent, String issuerUrl, String attestationSha256) {
    CredentialDirectory dir =
        parent == null ? CredentialDirectory.createTemp() : CredentialDirectory.at(freshChild(Path.of(parent)));
    try {
      TaskKey key = TaskKey.generate();
      dir.writeKey(key.privateKeyPem());
      String proof = key.proofOfPossessionForDigest(issuerUrl, attestationSha256, clock.instant());
      return new KeyOffer(dir.path().toAbsolutePath().toString(), KeyOffer.jwkJson(key), proof);
    } catch (RuntimeException e) {
      dir.wipe();
      throw e;
    }
  }

  @Override
  public WrittenFiles write(String directory, SvidFiles files) {
    CredentialDirectory dir = CredentialDirectory.at(Path.of(directory));
    dir.write(files.toSvids());
    Map<String, String> tokens = new LinkedHashMap<>();
    for (String audience : files.audiences()) {
      tokens.put(audience, dir.file(AudienceNames.tokenFile(audience)).toString());
    }
    return new WrittenFiles(
        dir.path().toString(),
        dir.file(CredentialDirectory.SVID).toString(),
        dir.file(CredentialDirectory.SVID_KEY).toString(),
        dir.file(CredentialDirectory.BUNDLE).toString(),
        files.audiences().isEmpty() ? null : dir.file(CredentialDirectory.JWT_SVID).toString(),
        tokens);
  }

  @Override
  public void wipe(String directory) {
    CredentialDirectory.at(Path.of(directory)).wipe();
  }

  private static Path freshChild(Path parent) {
    return parent.resolve("taskbound-" + java.util.UUID.randomUUID());
  }
}
