package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.ca.DownstreamSigningKeys;
import dev.taskbound.issuer.ca.TrustBundleSource;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Store;
import java.time.Clock;
import java.util.Map;

/**
 * Everything relying parties talk to, built in one call from configuration: exchange, introspection and
 * revocation, discovery, and the revocation state they share. Register {@link #revocations()} as a task end
 * listener and run its {@code refresh()} on a schedule.
 */
public final class TokenService {
  private final TokenExchange exchange;
  private final TokenIntrospection introspection;
  private final OidcDiscovery discovery;
  private final RevocationState revocations;

  private TokenService(
      TokenExchange exchange, TokenIntrospection introspection, OidcDiscovery discovery, RevocationState revocations) {
    this.exchange = exchange;
    this.introspection = introspection;
    this.discovery = discovery;
    this.revocations = revocations;
  }

  public static TokenService create(
      IssuerConfig config, Store store, TrustBundleSource bundle, DownstreamSigningKeys downstreamKeys,
      RelyingParties relyingParties, ExchangeEvidence evidence, Clock clock) {
    String issuerUrl = config.issuerUrl();
    RevocationState revocations = new RevocationState(store, clock);
    revocations.refresh();
    OwnKeys keys = new OwnKeys(bundle, downstreamKeys, clock);
    OwnTokens tokens = new OwnTokens(keys, issuerUrl, revocations);
    TokenExchange exchange =
        new TokenExchange(
            tokens, new X509SvidVerifier(keys, store, revocations),
            new DownstreamTokenMinter(downstreamKeys, config.exchange(), issuerUrl, clock), store, evidence, clock);
    return new TokenService(
        exchange, new TokenIntrospection(tokens, relyingParties, revocations, store, evidence, clock),
        new OidcDiscovery(issuerUrl, downstreamKeys, bundle), revocations);
  }

  /** RFC 8693. */
  public IssuedToken exchange(ExchangeRequest request) {
    return exchange.exchange(request);
  }

  /** RFC 7662, after authenticating the caller from the {@code Authorization} header. */
  public Map<String, Object> introspect(String authorization, String token) {
    Caller caller = introspection.authenticate(authorization, false);
    return introspection.introspect(caller, token);
  }

  /** RFC 7009, after authenticating the caller (a task may also use its control token). */
  public void revoke(String authorization, String token) {
    Caller caller = introspection.authenticate(authorization, true);
    if (token == null) {
      throw OAuthException.invalidRequest("token is required");
    }
    introspection.revoke(caller, token);
  }

  public OidcDiscovery discovery() {
    return discovery;
  }

  public RevocationState revocations() {
    return revocations;
  }
}
