package dev.taskbound.issuer.ca;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Keeps each key as one PEM file {@code <dir>/<id>.pem} (PKCS#8 private key, then its public key) in a directory
 * only the issuer's user can enter. Files are written to a temporary name and renamed, so a crash never leaves a
 * half-written key behind.
 */
public final class DiskKeyManager implements KeyManager {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
  private final Path dir;
  private final boolean posix;

  /** Creates {@code dir} (mode 0700) if needed and tightens it if it exists. */
  public DiskKeyManager(Path dir) {
    this.dir = dir;
    this.posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    try {
      if (posix) {
        Files.createDirectories(dir.toAbsolutePath().getParent());
        if (!Files.isDirectory(dir)) {
          try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
          } catch (FileAlreadyExistsException e) {
            // Another key manager on this directory made it meanwhile (start-up makes keys on two threads).
            if (!Files.isDirectory(dir)) {
              throw e;
            }
          }
        }
        Files.setPosixFilePermissions(dir, DIR_MODE);
      } else {
        Files.createDirectories(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create key directory " + dir, e);
    }
  }

  @Override
  public SigningKey generate(String id, KeyAlgorithm algorithm) {
    checkId(id);
    KeyPair pair = algorithm.generate();
    String pem = Pem.privateKey(pair.getPrivate()) + Pem.publicKey(pair.getPublic());
    writeAtomically(file(id), pem.getBytes(StandardCharsets.US_ASCII));
    return new SigningKey(id, algorithm, pair.getPrivate(), pair.getPublic());
  }

  @Override
  public Optional<SigningKey> load(String id) {
    checkId(id);
    Path file = file(id);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      String pem = Files.readString(file, StandardCharsets.US_ASCII);
      PrivateKey privateKey = Pem.parsePrivateKey(pem);
      return Optional.of(
          new SigningKey(id, KeyAlgorithm.of(privateKey), privateKey, Pem.parsePublicKey(pem)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read key " + id, e);
    }
  }

  @Override
  public void delete(String id) {
    checkId(id);
    try {
      Files.deleteIfExists(file(id));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete key " + id, e);
    }
  }

  private Path file(String id) {
    return dir.resolve(id + ".pem");
  }

  private void writeAtomically(Path target, byte[] content) {
    Path temp = dir.resolve("." + target.getFileName() + ".tmp");
    try {
      Files.deleteIfExists(temp);
      if (posix) {
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(FILE_MODE));
      } else {
        Files.createFile(temp);
      }
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        channel.write(java.nio.ByteBuffer.wrap(content));
        channel.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write key file " + target.getFileName(), e);
    }
  }

  private static void checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("key id must be 1-128 characters of [A-Za-z0-9_-]");
    }
  }
}
