package dev.taskbound.issuer.exchange;

import java.net.URLDecoder;
import dev.taskbound.issuer.ca.JwtSvidMinter;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.issuer.task.ControlTokens;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 7662 introspection and RFC 7009 revocation of our tokens (downstream tokens and JWT-SVIDs). Callers
 * authenticate with HTTP Basic ({@code client_secret_basic}, registered relying parties) or as a task with a
 * JWT-SVID whose {@code aud} names this issuer ({@code Authorization: Bearer}); {@code /revoke} also accepts the
 * task's control token. Introspection answers {@code active: true} only for an unexpired, unrevoked token of an
 * active task, and {@code active: false} for everything else without saying why.
 */
public final class TokenIntrospection {
  private static final Logger LOG = LoggerFactory.getLogger(TokenIntrospection.class);

  private final OwnTokens tokens;
  private final RelyingParties relyingParties;
  private final RevocationState revocations;
  private final Store store;
  private final Clock clock;
  private final Set<String> issuerAudiences;
  private final ExchangeEvidence evidence;

  TokenIntrospection(
      OwnTokens tokens, RelyingParties relyingParties, RevocationState revocations, Store store,
      ExchangeEvidence evidence, Clock clock) {
    this.evidence = evidence;
    this.tokens = tokens;
    this.relyingParties = relyingParties;
    this.revocations = revocations;
    this.store = store;
    this.clock = clock;
    this.issuerAudiences = Set.of(tokens.issuerUrl(), tokens.issuerUrl() + "/introspect", tokens.issuerUrl() + "/revoke");
  }

  /** Authenticates the caller from the {@code Authorization} header value; 401 {@code invalid_client} otherwise. */
  Caller authenticate(String authorization, boolean allowControlToken) {
    if (authorization == null) {
      throw OAuthException.invalidClient("client authentication is required (HTTP Basic, or a JWT-SVID as Bearer)");
    }
    if (authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw OAuthException.invalidClient("client authentication failed");
      }
      int colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw OAuthException.invalidClient("client authentication failed");
      }
      // RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding.
      String id = URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8);
      String secret = URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8);
      if (!relyingParties.authenticate(id, secret)) {
        throw OAuthException.invalidClient("client authentication failed");
      }
      return new Caller.RelyingParty(id, relyingParties.audiencesOf(id));
    }
    if (authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String bearer = authorization.substring(7).trim();
      if (allowControlToken && bearer.startsWith(ControlTokens.PREFIX)) {
        // The prefix only says what the bearer claims to be: the task it names must exist and hold its digest. A
        // token from before control tokens named their task names none and is refused like any other.
        Optional<TaskRecord> found;
        try {
          found = ControlTokens.taskIdOf(bearer).flatMap(store::findTask)
              .filter(t -> ControlTokens.matches(bearer, t.controlTokenSha256()));
        } catch (StoreException e) {
          throw new IllegalStateException("the issuer could not check the control token", e);
        }
        TaskRecord controlled = found.orElseThrow(() -> OAuthException.invalidClient("client authentication failed"));
        return new Caller.Task(controlled.taskId(), controlled.spiffeId());
      }
      Instant now = clock.instant();
      Optional<OwnTokens.Verified> verified = tokens.verify(bearer);
      Optional<TaskSnapshot> task =
          verified
              .filter(v -> v.kind() == CredentialKind.JWT_SVID)
              .filter(v -> v.audience().stream().anyMatch(issuerAudiences::contains))
              .flatMap(v -> tokens.live(v, now));
      if (task.isEmpty()) {
        throw OAuthException.invalidClient("client authentication failed");
      }
      return new Caller.Task(task.get().task().taskId(), task.get().task().spiffeId());
    }
    throw OAuthException.invalidClient("client authentication must be HTTP Basic or Bearer");
  }

  /** The RFC 7662 response for {@code token}. */
  Map<String, Object> introspect(Caller caller, String token) {
    Instant now = clock.instant();
    Map<String, Object> inactive = Map.of("active", false);
    Optional<OwnTokens.Verified> verified = tokens.verify(token);
    if (verified.isEmpty()
        || !caller.mayAccess(verified.get().taskId(), verified.get().audience())
        || tokens.live(verified.get(), now).isEmpty()) {
      // Outside the caller's audiences a live token is as inactive as an unknown one: nothing to learn by probing.
      return inactive;
    }
    OwnTokens.Verified v = verified.get();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("active", true);
    out.put("iss", v.claims().getIssuer());
    out.put("sub", v.subject());
    out.put("aud", v.audience().size() == 1 ? v.audience().get(0) : v.audience());
    out.put("exp", v.expiresAt().getEpochSecond());
    if (v.issuedAt() != null) {
      out.put("iat", v.issuedAt().getEpochSecond());
    }
    out.put("jti", v.jti());
    // The client that requested the token is the task, named by its SPIFFE ID.
    out.put("client_id", v.subject());
    out.put("token_type", "N_A");
    out.put("taskbound_token_kind", v.kind().wire());
    out.put(JwtSvidMinter.TASK_CLAIM, v.claims().getClaim(JwtSvidMinter.TASK_CLAIM));
    Object cnf = v.claims().getClaim("cnf");
    if (cnf != null) {
      out.put("cnf", cnf);
    }
    return out;
  }

  /** Revokes {@code token} if it is ours and the caller may; RFC 7009: the answer never depends on the outcome. */
  void revoke(Caller caller, String token) {
    Optional<OwnTokens.Verified> verified = tokens.verify(token);
    if (verified.isEmpty()) {
      return;
    }
    OwnTokens.Verified v = verified.get();
    if (!caller.mayAccess(v.taskId(), v.audience())) {
      // RFC 7009 lets us refuse; a 200 that changes nothing tells the caller no more than an unknown token does.
      return;
    }
    // The store keeps milliseconds; the log entry says the same instant.
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    boolean revokedNow;
    try {
      revokedNow = store.revokeCredential(v.kind(), v.jti(), now);
      revocations.revoked(v.kind(), v.jti(), v.expiresAt());
    } catch (StoreException e) {
      // RFC 7009 §2.2.1 lets us say 503; the endpoint maps this to a retryable error.
      throw new IllegalStateException("the issuer could not record the revocation", e);
    }
    if (revokedNow) {
      LOG.info("credential revoked: kind={} jti={} task={} by={}", v.kind().wire(), v.jti(), v.taskId(), caller.clientId());
      try {
        evidence.credentialRevoked(v.taskId(), now, v.kind(), v.jti(), v.expiresAt());
      } catch (RuntimeException e) {
        // Fail closed like every event: the revocation stands, the caller is told to retry, and the task's end logs
        // any revocation whose entry is missing.
        throw new IllegalStateException("the issuer could not record evidence of the revocation", e);
      }
    }
  }
}
