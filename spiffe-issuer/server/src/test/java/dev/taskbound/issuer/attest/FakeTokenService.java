package dev.taskbound.issuer.attest;

import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.taskbound.testing.OidcIssuerStandIn;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A stand-in for GitHub's OIDC token service {@code token.actions.githubusercontent.com}: the shared
 * {@link OidcIssuerStandIn} (discovery document and JWKS at GitHub's paths, real RS256 keys) issuing tokens with
 * GitHub-shaped claims.
 */
public final class FakeTokenService implements AutoCloseable {
  private final OidcIssuerStandIn service;
  private final Clock clock;
  final AtomicInteger discoveryRequests;
  final AtomicInteger jwksRequests;

  /** @param pathPrefix "" for public GitHub, "/acme" for a GHEC enterprise slug, "/_services/token" for GHES */
  public FakeTokenService(String pathPrefix, Clock clock) throws IOException {
    // Field for field what GitHub publishes (claims_supported abbreviated).
    this.service = new OidcIssuerStandIn(pathPrefix, "/.well-known/jwks", List.of("sub", "aud", "exp", "iat", "iss", "jti", "nbf",
        "ref", "sha", "repository", "repository_id", "repository_owner", "run_id", "run_number", "run_attempt", "actor",
        "workflow", "workflow_ref", "job_workflow_ref", "environment", "event_name", "ref_type", "runner_environment"));
    this.clock = clock;
    this.discoveryRequests = service.discoveryRequests;
    this.jwksRequests = service.jwksRequests;
  }

  public String issuer() {
    return service.issuer();
  }

  RSAKey signingKey() {
    return service.signingKey();
  }

  /** Publishes a new key and signs with it from now on; the old key stays published, as GitHub does. */
  RSAKey rotate() {
    return service.rotate();
  }

  /** Signs with a key that is never published. */
  static RSAKey unpublishedKey() {
    return OidcIssuerStandIn.newKey();
  }

  /** Claims shaped like a GitHub Actions OIDC token for a push to main of octo-org/octo-repo. */
  JWTClaimsSet.Builder githubClaims(String audience) {
    Instant iat = clock.instant();
    return new JWTClaimsSet.Builder()
        .jwtID(UUID.randomUUID().toString())
        .subject("repo:octo-org/octo-repo:environment:prod")
        .audience(audience)
        .claim("ref", "refs/heads/main")
        .claim("sha", "example-sha-0123456789abcdef01234567")
        .claim("repository", "octo-org/octo-repo")
        .claim("repository_owner", "octo-org")
        .claim("repository_owner_id", "65")
        .claim("run_id", "9876543210")
        .claim("run_number", "42")
        .claim("run_attempt", "2")
        .claim("repository_visibility", "private")
        .claim("repository_id", "74")
        .claim("actor_id", "12")
        .claim("actor", "octocat")
        .claim("workflow", "deploy")
        .claim("head_ref", "")
        .claim("base_ref", "")
        .claim("event_name", "push")
        .claim("ref_protected", "true")
        .claim("ref_type", "branch")
        .claim("environment", "prod")
        .claim("workflow_ref", "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main")
        .claim("workflow_sha", "example-sha-0123456789abcdef01234567")
        .claim("job_workflow_ref", "octo-org/ci/.github/workflows/build.yml@refs/tags/v1")
        .claim("job_workflow_sha", "example-sha-fedcba9876543210fedcba98")
        .claim("runner_environment", "github-hosted")
        .issuer(issuer())
        .notBeforeTime(Date.from(iat.minusSeconds(600)))
        .expirationTime(Date.from(iat.plusSeconds(300)))
        .issueTime(Date.from(iat));
  }

  public String mint(String audience) {
    return mint(audience, b -> {});
  }

  public String mint(String audience, Consumer<JWTClaimsSet.Builder> customise) {
    JWTClaimsSet.Builder builder = githubClaims(audience);
    customise.accept(builder);
    return service.sign(builder.build());
  }

  /** Signs as GitHub does: RS256, typ JWT, kid, and an x5t header (its value is not checked by anyone). */
  static String sign(JWTClaimsSet claims, RSAKey key) {
    return sign(claims, key, key.getKeyID());
  }

  /** Signs with {@code key} but names {@code kid} in the header. */
  static String sign(JWTClaimsSet claims, RSAKey key, String kid) {
    return OidcIssuerStandIn.sign(claims, key, kid);
  }

  @Override
  public void close() {
    service.close();
  }
}
