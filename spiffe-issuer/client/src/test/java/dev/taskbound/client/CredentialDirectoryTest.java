package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.api.JwtSvidCredential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialDirectoryTest {
  @TempDir Path tmp;

  static Svids svids(String marker) {
    return new Svids("tsk_a", "spiffe://td/x", "CHAIN " + marker, List.of(
        new JwtSvidCredential("sts.example", "jwt-sts-" + marker, Instant.EPOCH),
        new JwtSvidCredential("https://vault.example", "jwt-vault-" + marker, Instant.EPOCH)),
        "BUNDLE " + marker, null, Instant.EPOCH, Instant.EPOCH);
  }

  @Test
  void writesTheSpiffeHelperLayoutPrivately() throws Exception {
    CredentialDirectory dir = CredentialDirectory.at(tmp.resolve("creds"));
    dir.writeKey("KEY");
    dir.write(svids("1"));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.path()))).isEqualTo("rwx------");
    try (Stream<Path> files = Files.list(dir.path())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
          "svid.pem", "svid_key.pem", "bundle.pem", "jwt_svid.token", "jwt_svid.sts.example.token",
          "jwt_svid.https_3A_2F_2Fvault.example.token");
    }
    try (Stream<Path> files = Files.list(dir.path())) {
      files.forEach(f -> {
        try {
          assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
        } catch (java.io.IOException e) {
          throw new AssertionError(e);
        }
      });
    }
    assertThat(Files.readString(dir.file("jwt_svid.token"))).isEqualTo("jwt-sts-1");
  }

  @Test
  void rewritesReplaceFilesAndLeaveNoTempFiles() throws Exception {
    CredentialDirectory dir = CredentialDirectory.createTemp();
    try {
      dir.write(svids("1"));
      dir.write(svids("2"));
      assertThat(Files.readString(dir.file("svid.pem"))).isEqualTo("CHAIN 2");
      try (Stream<Path> files = Files.list(dir.path())) {
        assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
      }
    } finally {
      dir.wipe();
    }
    assertThat(dir.path()).doesNotExist();
    dir.wipe();
  }

  @Test
  void refusesADirectoryOthersCanRead() throws Exception {
    Path open = Files.createDirectory(tmp.resolve("open"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThatThrownBy(() -> CredentialDirectory.at(open)).hasMessageContaining("0700");
  }

  @Test
  void wipeRemovesNestedContent() throws Exception {
    CredentialDirectory dir = CredentialDirectory.at(tmp.resolve("w"));
    dir.write(svids("1"));
    Files.createDirectory(dir.path().resolve("sub"));
    Files.writeString(dir.path().resolve("sub/x"), "x");
    dir.wipe();
    assertThat(dir.path()).doesNotExist();
  }
}
