package dev.taskbound.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@link StepAgent} in this process: what a Jenkins agent-side callable runs once it arrives, and what tests use
 * directly.
 */
public final class LocalStepAgent implements StepAgent {
  /** The private directories {@link #createKey} makes: {@code taskbound-<uuid>}. */
  private static final Pattern TASK_DIR = Pattern.compile("taskbound-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}");

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
        parent == null ? CredentialDirectory.createTemp() : CredentialDirectory.at(Path.of(parent).resolve("taskbound-" + UUID.randomUUID()));
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
    Map<String, String> downstream = new LinkedHashMap<>();
    files.downstream().forEach((audience, token) -> {
      String name = AudienceNames.downstreamFile(audience);
      dir.writeAtomically(name, token);
      downstream.put(audience, dir.file(name).toString());
    });
    return new WrittenFiles(
        dir.path().toString(),
        dir.file(CredentialDirectory.SVID).toString(),
        dir.file(CredentialDirectory.SVID_KEY).toString(),
        dir.file(CredentialDirectory.BUNDLE).toString(),
        files.audiences().isEmpty() ? null : dir.file(CredentialDirectory.JWT_SVID).toString(),
        tokens,
        downstream);
  }

  @Override
  public void wipe(String directory) {
    CredentialDirectory.at(Path.of(directory)).wipe();
  }

  @Override
  public String proveForApproval(String directory, String issuerUrl, String approvalId) {
    Path key = CredentialDirectory.at(Path.of(directory)).file(CredentialDirectory.SVID_KEY);
    try {
      return TaskKey.proofForApprovalFromPem(Files.readString(key), issuerUrl, approvalId, clock.instant());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the task key in " + directory, e);
    }
  }

  /**
   * Deletes the task directories {@link #createKey} left under {@code root} (a step whose agent died, a build that
   * was killed), down to {@code maxDepth} levels, except those in {@code keep} (tasks still running). Only
   * directories named {@code taskbound-<uuid>} inside a {@code …@tmp} directory (a workspace's temp dir) are
   * candidates, and links are never followed, so nothing else on the machine can be reached.
   *
   * @return the directories deleted
   */
  public static List<String> sweepStale(Path root, Set<String> keep, int maxDepth) {
    List<Path> stale = new ArrayList<>();
    if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      try {
        Files.walkFileTree(root, Set.of(), maxDepth, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (isTaskDirectory(dir)) {
              stale.add(dir);
              return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            // At maxDepth directories arrive here, unvisited.
            if (attrs.isDirectory() && isTaskDirectory(file)) {
              stale.add(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException exc) {
            return FileVisitResult.CONTINUE; // unreadable: not ours
          }
        });
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + root, e);
      }
    }
    List<String> wiped = new ArrayList<>();
    for (Path dir : stale) {
      String path = dir.toAbsolutePath().toString();
      if (!keep.contains(path)) {
        try {
          CredentialDirectory.at(dir).wipe();
          wiped.add(path);
        } catch (IllegalArgumentException | UncheckedIOException e) {
          // Not a private directory of ours (another mode or owner), or it went away meanwhile: leave it.
        }
      }
    }
    return wiped;
  }

  private static boolean isTaskDirectory(Path dir) {
    Path parent = dir.getParent();
    return parent != null && parent.getFileName() != null && parent.getFileName().toString().endsWith("@tmp")
        && TASK_DIR.matcher(dir.getFileName().toString()).matches();
  }
}
