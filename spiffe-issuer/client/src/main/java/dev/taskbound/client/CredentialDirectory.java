package dev.taskbound.client;

import dev.taskbound.api.JwtSvidCredential;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.ByteBuffer;
import java.util.Set;

/**
 * A step's private credential directory (mode 0700) in the spiffe-helper layout, every file 0600 and replaced
 * atomically (temp file + rename) so a reader never sees half a PEM:
 *
 * <ul>
 *   <li>{@value #SVID} — X.509-SVID leaf then intermediates</li>
 *   <li>{@value #SVID_KEY} — the task's private key (PKCS#8)</li>
 *   <li>{@value #BUNDLE} — X.509 trust anchors</li>
 *   <li>{@value #JWT_SVID} — the JWT-SVID of the first audience; plus one {@link AudienceNames#tokenFile} per
 *       audience</li>
 *   <li>{@link AudienceNames#downstreamFile} — one per token exchanged for a downstream audience</li>
 * </ul>
 *
 * {@link #wipe()} deletes everything: overwriting first buys nothing on journaling or copy-on-write file systems.
 */
public final class CredentialDirectory {
  /** Pass as {@link SessionOptions#credentialDir()} to write no files at all (an adapter that keeps SVIDs in memory). */
  public static final Path NONE = Path.of("");

  public static final String SVID = "svid.pem";
  public static final String SVID_KEY = "svid_key.pem";
  public static final String BUNDLE = "bundle.pem";
  public static final String JWT_SVID = "jwt_svid.token";

  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

  private final Path dir;

  private CredentialDirectory(Path dir) {
    this.dir = dir;
  }

  /** A fresh private directory under the system temp dir. */
  public static CredentialDirectory createTemp() {
    try {
      return new CredentialDirectory(Files.createTempDirectory("taskbound-", dirAttributes()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a private credential directory", e);
    }
  }

  /**
   * Uses {@code dir}, creating it 0700 if absent. An existing directory must be owned by us and not readable by
   * anyone else: credentials never go where another user could list or plant files.
   */
  public static CredentialDirectory at(Path dir) {
    try {
      if (!Files.exists(dir)) {
        Files.createDirectories(dir.toAbsolutePath().getParent());
        Files.createDirectory(dir, dirAttributes());
      } else if (posix()) {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
        if (!DIR_MODE.containsAll(perms) || !Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          throw new IllegalArgumentException(
              "credential directory " + dir + " must be a directory with mode 0700, not " + PosixFilePermissions.toString(perms));
        }
      }
      return new CredentialDirectory(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create credential directory " + dir, e);
    }
  }

  public Path path() {
    return dir;
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  /** Writes the private key once, at begin; renewals keep the same key. */
  public void writeKey(String privateKeyPem) {
    writeAtomically(SVID_KEY, privateKeyPem);
  }

  /** Writes (or replaces) every SVID file from {@code svids}. */
  public void write(Svids svids) {
    writeAtomically(SVID, svids.x509SvidChainPem());
    writeAtomically(BUNDLE, svids.bundlePem());
    boolean first = true;
    for (JwtSvidCredential jwt : svids.jwtSvids()) {
      if (first) {
        writeAtomically(JWT_SVID, jwt.token());
        first = false;
      }
      writeAtomically(AudienceNames.tokenFile(jwt.audience()), jwt.token());
    }
  }

  /** Writes (or replaces) the file of a downstream token; returns its path. */
  public Path writeDownstream(DownstreamToken token) {
    String name = AudienceNames.downstreamFile(token.audience());
    writeAtomically(name, token.token());
    return dir.resolve(name);
  }

  /** Replaces {@code name} with {@code content}, mode 0600, through a temp file renamed into place. */
  public void writeAtomically(String name, String content) {
    if (name.contains("/") || name.startsWith(".tmp-")) {
      throw new IllegalArgumentException("not a plain file name: " + name);
    }
    Path target = dir.resolve(name);
    Path tmp = null;
    try {
      tmp = posix() ? Files.createTempFile(dir, ".tmp-", ".part", PosixFilePermissions.asFileAttribute(FILE_MODE))
          : Files.createTempFile(dir, ".tmp-", ".part");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      tmp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The wipe at task end removes it.
        }
      }
    }
  }

  /** Deletes the directory and everything in it (sockets and state files included). Safe to repeat. */
  public void wipe() {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
          if (exc instanceof NoSuchFileException) {
            return FileVisitResult.CONTINUE;
          }
          throw exc;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
          try {
            Files.deleteIfExists(d);
          } catch (DirectoryNotEmptyException e) {
            // A file appeared while we walked (a renewal racing the end): one more pass.
            wipe();
          }
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (NoSuchFileException ignored) {
      // Already gone.
    } catch (IOException e) {
      throw new UncheckedIOException("cannot wipe credential directory " + dir, e);
    }
  }

  private static boolean posix() {
    return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  private static FileAttribute<?>[] dirAttributes() {
    return posix() ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIR_MODE)} : new FileAttribute<?>[0];
  }

  @Override
  public String toString() {
    return "CredentialDirectory[" + dir + "]";
  }
}
