package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.ExchangeRecorded;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import dev.taskbound.issuer.logging.TaskLogFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 8693 token exchange: a live SVID of an active task buys one downstream JWT for one audience its policy
 * decision allowed, while its exchange limit lasts. The subject is a JWT-SVID ({@value #JWT_TYPE}) whose
 * {@code aud} names this issuer (its URL or its token endpoint), or the X.509-SVID the client authenticated with
 * over mutual TLS ({@value #X509_SVID_TYPE}; {@code subject_token} is the leaf certificate, base64 DER). The
 * exchange count and the token's credential record are written in one store transaction, so ending the task
 * revokes the token like every other credential.
 */
public final class TokenExchange {
  public static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
  public static final String JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt";
  /** Ours: RFC 8693 registers no type for an X.509 certificate presented over mutual TLS. */
  public static final String X509_SVID_TYPE = "https://taskbound.dev/token-type/x509-svid";
  public static final String TOKEN_PATH = "/token";
  private static final Logger LOG = LoggerFactory.getLogger(TokenExchange.class);
  private static final int MAX_AUDIENCE_LENGTH = 512;

  private final OwnTokens tokens;
  private final X509SvidVerifier x509;
  private final DownstreamTokenMinter minter;
  private final Store store;
  private final Clock clock;
  private final Set<String> subjectAudiences;
  private final ExchangeEvidence evidence;

  TokenExchange(
      OwnTokens tokens, X509SvidVerifier x509, DownstreamTokenMinter minter, Store store, ExchangeEvidence evidence,
      Clock clock) {
    this.evidence = evidence;
    this.tokens = tokens;
    this.x509 = x509;
    this.minter = minter;
    this.store = store;
    this.clock = clock;
    this.subjectAudiences = Set.of(tokens.issuerUrl(), tokens.issuerUrl() + TOKEN_PATH);
  }

  public IssuedToken exchange(ExchangeRequest request) {
    if (request.grantType() == null) {
      throw OAuthException.invalidRequest("grant_type is required");
    }
    if (!GRANT_TYPE.equals(request.grantType())) {
      throw OAuthException.unsupportedGrantType("only " + GRANT_TYPE + " is supported");
    }
    if (request.subjectToken() == null || request.subjectToken().isEmpty()) {
      throw OAuthException.invalidRequest("subject_token is required");
    }
    if (request.subjectTokenType() == null) {
      throw OAuthException.invalidRequest("subject_token_type is required");
    }
    if (request.requestedTokenType() != null && !JWT_TYPE.equals(request.requestedTokenType())) {
      throw OAuthException.invalidRequest("requested_token_type must be " + JWT_TYPE);
    }
    if ((request.actorToken() == null) != (request.actorTokenType() == null)) {
      throw OAuthException.invalidRequest("actor_token and actor_token_type go together");
    }
    String audience = target(request);
    Instant now = clock.instant();

    Subject subject =
        switch (request.subjectTokenType()) {
          case JWT_TYPE -> jwtSubject(request.subjectToken(), now, "subject_token");
          case X509_SVID_TYPE -> x509Subject(request, now);
          default -> throw OAuthException.invalidRequest(
              "subject_token_type must be " + JWT_TYPE + " or " + X509_SVID_TYPE);
        };
    Map<String, Object> actor = null;
    if (request.actorToken() != null) {
      if (!JWT_TYPE.equals(request.actorTokenType())) {
        throw OAuthException.invalidRequest("actor_token_type must be " + JWT_TYPE);
      }
      actor = Map.of("sub", jwtSubject(request.actorToken(), now, "actor_token").task().task().spiffeId());
    }

    TaskSnapshot task = subject.task();
    TaskLogFields.found(task.task().taskId(), task.task().spiffeId());
    if (task.grant() == null || !task.grant().audiences().contains(audience) || subjectAudiences.contains(audience)) {
      throw OAuthException.invalidTarget("the task's policy does not allow tokens for this audience");
    }
    DownstreamToken token =
        minter.mint(task.task().spiffeId(), audience, task.task().expiresAt(), task.facts(), actor, subject.x5tS256());
    CredentialRecord record =
        new CredentialRecord(
            task.task().taskId(), CredentialKind.DOWNSTREAM_TOKEN, token.jti(), audience, token.issuedAt(),
            token.expiresAt(), null);
    ExchangeRecorded recorded;
    try {
      recorded = store.recordExchange(task.task().taskId(), record, now);
    } catch (StoreException e) {
      // Fail closed: a token the store has not recorded could not be revoked at the task's end.
      LOG.error("exchange for task {} not recorded: {}", task.task().taskId(), e.getMessage());
      throw new IllegalStateException("the issuer could not record the exchange", e);
    }
    switch (recorded) {
      case TASK_NOT_ACTIVE -> throw OAuthException.invalidGrant("the subject's task is not active");
      case LIMIT_REACHED -> throw OAuthException.invalidGrant("the task has used all the exchanges its policy allows");
      case RECORDED -> { }
    }
    try {
      evidence.tokenExchanged(task.task().taskId(), now, subject.credentialId(), token, audience, task.task().policyRule());
    } catch (RuntimeException e) {
      // Fail closed: recorded in the store (so the task's end revokes it) but never released without evidence.
      LOG.error("evidence of exchange for task {} not committed, token withheld: {}", task.task().taskId(), e.getMessage());
      throw new IllegalStateException("the issuer could not record evidence of the exchange", e);
    }
    LOG.info("token exchanged: task={} audience={} jti={} via={}", task.task().taskId(), audience, token.jti(), request.subjectTokenType());
    long expiresIn = Math.max(1, Duration.between(now, token.expiresAt()).toSeconds());
    return new IssuedToken(token.token(), JWT_TYPE, "N_A", expiresIn);
  }

  /** Exactly one target, named by {@code audience} or {@code resource} (the same value in both counts once). */
  private static String target(ExchangeRequest request) {
    Set<String> targets = new LinkedHashSet<>(request.audiences());
    targets.addAll(request.resources());
    if (targets.isEmpty()) {
      throw OAuthException.invalidRequest("audience or resource is required");
    }
    if (targets.size() > 1) {
      throw OAuthException.invalidTarget("one downstream token names one audience; ask once per audience");
    }
    String audience = targets.iterator().next();
    if (audience.isBlank() || audience.length() > MAX_AUDIENCE_LENGTH || audience.chars().anyMatch(Character::isISOControl)) {
      throw OAuthException.invalidTarget("audience is not a valid audience");
    }
    return audience;
  }

  /** The verified subject: its task, the subject credential's id (JWT-SVID jti or X.509 serial), and x5t#S256. */
  private record Subject(TaskSnapshot task, String credentialId, String x5tS256) {}

  private Subject jwtSubject(String token, Instant now, String parameter) {
    OwnTokens.Verified verified =
        tokens.verify(token).orElseThrow(() -> OAuthException.invalidGrant(parameter + " is not a JWT-SVID of this issuer"));
    if (verified.kind() != CredentialKind.JWT_SVID) {
      throw OAuthException.invalidGrant(parameter + " is not a JWT-SVID of this issuer");
    }
    if (!now.isBefore(verified.expiresAt())) {
      throw OAuthException.invalidGrant(parameter + " has expired");
    }
    if (verified.audience().stream().noneMatch(subjectAudiences::contains)) {
      throw OAuthException.invalidGrant(parameter + " is not addressed to this issuer (aud)");
    }
    TaskSnapshot task =
        tokens.live(verified, now).orElseThrow(() -> OAuthException.invalidGrant(parameter + " belongs to no active task"));
    return new Subject(task, verified.jti(), null);
  }

  private Subject x509Subject(ExchangeRequest request, Instant now) {
    List<X509Certificate> chain = request.clientCertificates();
    if (chain.isEmpty()) {
      throw OAuthException.invalidRequest("an X.509-SVID subject needs a mutual TLS connection with that certificate");
    }
    if (!sameCertificate(request.subjectToken(), chain.get(0))) {
      throw OAuthException.invalidGrant("subject_token is not the client certificate of this connection");
    }
    X509SvidVerifier.Verified verified =
        x509.verify(chain, now).orElseThrow(() -> OAuthException.invalidGrant("the client certificate is not an X.509-SVID of an active task"));
    return new Subject(verified.task(), verified.serialHex(), verified.x5tS256());
  }

  private static boolean sameCertificate(String subjectToken, X509Certificate leaf) {
    byte[] presented;
    try {
      String compact = subjectToken.replaceAll("\\s", "");
      presented =
          compact.contains("-") || compact.contains("_")
              ? Base64.getUrlDecoder().decode(compact)
              : Base64.getDecoder().decode(compact);
      return Arrays.equals(presented, leaf.getEncoded());
    } catch (IllegalArgumentException | CertificateEncodingException e) {
      return false;
    }
  }
}
