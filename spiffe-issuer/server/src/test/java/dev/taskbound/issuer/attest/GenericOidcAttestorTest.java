package dev.taskbound.issuer.attest;

import dev.taskbound.issuer.testing.MutableClock;

import static dev.taskbound.issuer.attest.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.Store;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenericOidcAttestorTest {
  static final String TASKBOUND_URL = "https://taskbound.example.com";

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
  FakeTokenService gitlab;
  Store store;
  GenericOidcAttestor attestor;

  @BeforeEach
  void setUp() throws Exception {
    gitlab = new FakeTokenService("", clock);
    store = TestStores.open(dir);
    Map<String, String> mapping = new LinkedHashMap<>();
    mapping.put("repository", "project_path");
    mapping.put("ref", "ref");
    mapping.put("run_id", "pipeline_id");
    mapping.put("job", "job_id");
    mapping.put("environment", "environment");
    attestor =
        new GenericOidcAttestor(
            new OidcAttestorConfig("gitlab", gitlab.issuer(), "taskbound", List.of("RS256"), mapping),
            TASKBOUND_URL, store, clock, JwksFetcher.withDefaults());
  }

  @AfterEach
  void tearDown() {
    gitlab.close();
    store.close();
  }

  /** Claims shaped like a GitLab CI {@code id_tokens} token. */
  String gitlabToken(String audience) {
    Instant iat = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(gitlab.issuer())
            .subject("project_path:group/project:ref_type:branch:ref:main")
            .audience(audience)
            .jwtID(UUID.randomUUID().toString())
            .issueTime(Date.from(iat))
            .notBeforeTime(Date.from(iat))
            .expirationTime(Date.from(iat.plusSeconds(300)))
            .claim("namespace_id", "72")
            .claim("namespace_path", "group")
            .claim("project_id", "20")
            .claim("project_path", "group/project")
            .claim("user_login", "alice")
            .claim("pipeline_id", "574")
            .claim("pipeline_source", "push")
            .claim("job_id", "302")
            .claim("ref", "main")
            .claim("ref_type", "branch")
            .claim("ref_protected", "true")
            .build();
    return FakeTokenService.sign(claims, gitlab.signingKey());
  }

  @Test
  void claimMappingBuildsTheContext() {
    AttestedIdentity identity = attestor.attest(new Attestation("oidc:gitlab", gitlabToken("taskbound")));

    assertThat(identity.platform()).isEqualTo("oidc");
    assertThat(identity.context())
        .containsOnly(
            Map.entry("platform", "oidc"),
            Map.entry("provider", "gitlab"),
            Map.entry("sub", "project_path:group/project:ref_type:branch:ref:main"),
            Map.entry("repository", "group/project"),
            Map.entry("ref", "main"),
            Map.entry("run_id", "574"),
            Map.entry("job", "302"));
    assertThat(identity.claims()).containsEntry("user_login", "alice");
    assertThat(attestor.type()).isEqualTo("oidc:gitlab");
  }

  @Test
  void configuredAudienceIsRequired() {
    assertRefused(attestor, gitlabToken(TASKBOUND_URL), "audience (aud) does not include taskbound");
  }

  @Test
  void aTokenIsSpentOnceAndOnlyByItsUse() {
    String token = gitlabToken("taskbound");
    AttestedIdentity identity = attestor.attest(new Attestation("oidc:gitlab", token));
    assertThat(attestor.attest(new Attestation("oidc:gitlab", token)).use()).isEqualTo(identity.use());
    assertThat(store.consume(identity.use(), clock.instant())).isTrue();
    assertThat(store.consume(identity.use(), clock.instant())).isFalse();
  }

  @Test
  void configRefusesSymmetricAlgorithmsReservedKeysAndBadNames() {
    assertThatThrownBy(() -> new OidcAttestorConfig("gitlab", "https://gitlab.com", null, List.of("HS256"), null))
        .hasMessageContaining("HS256");
    assertThatThrownBy(
            () -> new OidcAttestorConfig("gitlab", "https://gitlab.com", null, null, Map.of("platform", "iss")))
        .hasMessageContaining("platform");
    assertThatThrownBy(() -> new OidcAttestorConfig("Git Lab", "https://gitlab.com", null, null, null))
        .hasMessageContaining("name");
  }
}
