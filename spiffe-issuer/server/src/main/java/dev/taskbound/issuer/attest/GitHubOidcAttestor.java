package dev.taskbound.issuer.attest;

import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.Store;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Attestation type {@code github}: a GitHub Actions OIDC token ({@code ACTIONS_ID_TOKEN_REQUEST_URL}), verified
 * against the configured token service's published keys.
 *
 * <p>Context mapping: the repository, ref, run and workflow claims are copied under their GitHub names. GitHub's
 * token names no job id or step; {@code job} is taken from {@code job_workflow_ref} (the workflow file that
 * defines the job, which for a reusable workflow is the called one), and {@code check_run_id} is copied when
 * GitHub sends it, as the only claim unique per job.
 */
public final class GitHubOidcAttestor implements Attestor {
  public static final String TYPE = "github";

  /** Claims copied to the context under the same name. */
  static final List<String> CONTEXT_CLAIMS =
      List.of(
          "repository", "repository_owner", "repository_id", "repository_owner_id", "repository_visibility",
          "ref", "ref_type", "ref_protected", "sha", "workflow", "workflow_ref", "workflow_sha",
          "job_workflow_ref", "job_workflow_sha", "check_run_id", "run_id", "run_number", "run_attempt",
          "environment", "actor", "actor_id", "event_name", "runner_environment", "head_ref", "base_ref",
          "enterprise", "enterprise_id", "sub");

  private final JwtVerifier verifier;

  /**
   * @param taskboundIssuerUrl this issuer's URL, the default audience
   */
  public GitHubOidcAttestor(
      GitHubAttestorConfig config, String taskboundIssuerUrl, Store store, Clock clock, JwksFetcher fetcher) {
    this(config, taskboundIssuerUrl, store, clock, fetcher.oidcIssuerKeys(config.issuer(), clock));
  }

  /** With an explicit key source (tests, or keys pinned by the operator). */
  public GitHubOidcAttestor(
      GitHubAttestorConfig config, String taskboundIssuerUrl, Store store, Clock clock, JwksSource keys) {
    String audience = config.audience() != null ? config.audience() : taskboundIssuerUrl;
    JwtRules rules =
        JwtRules.of(config.issuer(), audience, JwtRules.parseAlgorithms(config.algorithms()));
    this.verifier = new JwtVerifier(rules, keys, clock);
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public AttestedIdentity attest(Attestation attestation) {
    VerifiedJwt jwt = verifier.verify(attestation.token());
    Map<String, Object> claims = jwt.claims();
    for (String required : List.of("repository", "run_id", "sha")) {
      String value = NormalisedContext.text(claims.get(required));
      if (value == null || value.isEmpty()) {
        throw new AttestationException("GitHub token has no " + required + " claim");
      }
    }
    NormalisedContext context = new NormalisedContext(TYPE, claims);
    CONTEXT_CLAIMS.forEach(context::claim);
    context.claim("job", "job_workflow_ref");
    return new AttestedIdentity(TYPE, context.build(), claims, jwt.sha256(), jwt.use());
  }
}
