package dev.taskbound.issuer.attest;

import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.Store;
import java.time.Clock;
import java.util.Map;

/**
 * Attestation type {@code oidc:<name>}: an OIDC token from any CI system that publishes a discovery document,
 * verified like GitHub's, with its claims mapped into the context by the configured claim mapping. The context
 * always holds {@code platform=oidc}, {@code provider=<name>} and {@code sub}; mapped claims that are absent are
 * left out.
 */
public final class GenericOidcAttestor implements Attestor {
  public static final String TYPE_PREFIX = "oidc:";
  public static final String PLATFORM = "oidc";

  private final OidcAttestorConfig config;
  private final JwtVerifier verifier;

  public GenericOidcAttestor(
      OidcAttestorConfig config, String taskboundIssuerUrl, Store store, Clock clock, JwksFetcher fetcher) {
    this(config, taskboundIssuerUrl, store, clock, fetcher.oidcIssuerKeys(config.issuer(), clock));
  }

  /** With an explicit key source (tests, or keys pinned by the operator). */
  public GenericOidcAttestor(
      OidcAttestorConfig config, String taskboundIssuerUrl, Store store, Clock clock, JwksSource keys) {
    this.config = config;
    String audience = config.audience() != null ? config.audience() : taskboundIssuerUrl;
    JwtRules rules = JwtRules.of(config.issuer(), audience, JwtRules.parseAlgorithms(config.algorithms()));
    this.verifier = new JwtVerifier(config.singleUseByTokenDigest() ? rules.withSingleUseByTokenDigest() : rules, keys, clock);
  }

  @Override
  public String type() {
    return config.type();
  }

  @Override
  public AttestedIdentity attest(Attestation attestation) {
    VerifiedJwt jwt = verifier.verify(attestation.token());
    Map<String, Object> claims = jwt.claims();
    NormalisedContext context =
        new NormalisedContext(PLATFORM, claims).value("provider", config.name()).claim("sub");
    config.claimMapping().forEach(context::claim);
    return new AttestedIdentity(PLATFORM, context.build(), claims, jwt.sha256(), jwt.use());
  }
}
