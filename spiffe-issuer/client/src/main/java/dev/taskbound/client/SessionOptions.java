package dev.taskbound.client;

import dev.taskbound.client.evidence.NoteKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link TaskSession} begins, renews and ends.
 *
 * @param audiences JWT-SVID audiences requested at begin; the first one also lands in {@code jwt_svid.token}
 * @param ttl requested task lifetime ({@code 15m}, {@code PT1H}); null for the issuer's default
 * @param credentialDir where to write the credential files; null for a fresh private directory under the
 *     system temp dir; {@link CredentialDirectory#NONE} to write no files at all
 * @param renewBackoff retry pacing when a renewal fails (the session keeps trying while the task lives)
 * @param endBackoff retry pacing when end fails
 * @param endRetryFor how long end keeps trying an unreachable issuer before it reports failure; past that the
 *     issuer's reaper ends the task once its heartbeat lapses
 * @param evidenceKey the evidence log's verifier key; when set, {@link TaskSession#end} verifies the revocation
 *     receipt against it (see {@link EndResult#verifiedReceipt()}); null to leave the receipt unchecked
 * @param exchange downstream audiences to exchange a JWT-SVID for at begin (RFC 8693) and again on the renewal past
 *     each token's half-life; the JWT-SVID for the issuer itself that the exchange needs is asked for too
 */
public record SessionOptions(
    List<String> audiences,
    String ttl,
    Path credentialDir,
    Backoff renewBackoff,
    Backoff endBackoff,
    Duration endRetryFor,
    NoteKey evidenceKey,
    List<String> exchange) {

  public SessionOptions {
    audiences = List.copyOf(Objects.requireNonNull(audiences, "audiences"));
    exchange = exchange == null ? List.of() : List.copyOf(new LinkedHashSet<>(exchange));
    Objects.requireNonNull(renewBackoff, "renewBackoff");
    Objects.requireNonNull(endBackoff, "endBackoff");
    Objects.requireNonNull(endRetryFor, "endRetryFor");
  }

  /** Options without an evidence key (receipts are not checked). */
  public SessionOptions(
      List<String> audiences, String ttl, Path credentialDir, Backoff renewBackoff, Backoff endBackoff, Duration endRetryFor) {
    this(audiences, ttl, credentialDir, renewBackoff, endBackoff, endRetryFor, null, List.of());
  }

  /** No audiences, the issuer's default lifetime, a fresh private directory, two minutes of end retries. */
  public static SessionOptions defaults() {
    return new SessionOptions(
        List.of(),
        null,
        null,
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)),
        new Backoff(Duration.ofMillis(500), Duration.ofSeconds(15)),
        Duration.ofMinutes(2),
        null,
        List.of());
  }

  public SessionOptions withAudiences(List<String> value) {
    return new SessionOptions(value, ttl, credentialDir, renewBackoff, endBackoff, endRetryFor, evidenceKey, exchange);
  }

  public SessionOptions withTtl(String value) {
    return new SessionOptions(audiences, value, credentialDir, renewBackoff, endBackoff, endRetryFor, evidenceKey, exchange);
  }

  public SessionOptions withCredentialDir(Path value) {
    return new SessionOptions(audiences, ttl, value, renewBackoff, endBackoff, endRetryFor, evidenceKey, exchange);
  }

  public SessionOptions withRenewBackoff(Backoff value) {
    return new SessionOptions(audiences, ttl, credentialDir, value, endBackoff, endRetryFor, evidenceKey, exchange);
  }

  public SessionOptions withEndRetry(Backoff backoff, Duration retryFor) {
    return new SessionOptions(audiences, ttl, credentialDir, renewBackoff, backoff, retryFor, evidenceKey, exchange);
  }

  /** Verify the end's receipt against the log key {@code verifierKey} ({@code name+hash+base64}, as {@code /evidence/key} serves it). */
  public SessionOptions withEvidenceKey(String verifierKey) {
    return withEvidenceKey(verifierKey == null ? null : NoteKey.parse(verifierKey));
  }

  public SessionOptions withEvidenceKey(NoteKey value) {
    return new SessionOptions(audiences, ttl, credentialDir, renewBackoff, endBackoff, endRetryFor, value, exchange);
  }

  /** Exchange for downstream tokens for {@code value} (see {@link #exchange()}). */
  public SessionOptions withExchange(List<String> value) {
    return new SessionOptions(audiences, ttl, credentialDir, renewBackoff, endBackoff, endRetryFor, evidenceKey, value);
  }

  /**
   * The JWT-SVID audiences to ask for at begin: {@link #audiences()}, plus the issuer's own URL when something is to
   * be exchanged (the exchange takes a JWT-SVID addressed to the issuer).
   */
  public List<String> jwtAudiences(String issuerUrl) {
    return DownstreamExchange.jwtAudiences(audiences, exchange, issuerUrl);
  }
}
