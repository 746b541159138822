package dev.taskbound.issuer.signals;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.taskbound.issuer.store.ExceptionRecord;
import dev.taskbound.issuer.store.ExceptionState;
import dev.taskbound.issuer.store.SignalDeliveryRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The Shared Signals events of the standing-privilege exception register: a standing exception {@code expired}
 * (nobody revoked it by its expiry) or went {@code unreviewed} (nobody reviewed it within the review interval). No
 * CAEP or RISC event type says this, so they are Taskbound's own event types; the subject is the exception
 * ({@code opaque} format, its id). One signed SET per receiver, queued in {@code ssf_deliveries}: the
 * {@link SetTransmitter} pushes them with the task ends' and retries them alike.
 */
public final class ExceptionSignals {
  public static final String EXPIRED = "https://taskbound.dev/secevent/event-type/standing-exception-expired";
  public static final String UNREVIEWED = "https://taskbound.dev/secevent/event-type/standing-exception-unreviewed";

  private final SignalsConfig config;
  private final String issuerUrl;
  private final SetSigner signer;

  public ExceptionSignals(SignalsConfig config, String issuerUrl, SetSigner signer) {
    this.config = config;
    this.issuerUrl = issuerUrl;
    this.signer = signer;
  }

  /** One SET per receiver saying that {@code exception} is {@code state} ({@code EXPIRED} or {@code UNREVIEWED}). */
  public List<SignalDeliveryRecord> deliveries(ExceptionRecord exception, ExceptionState state, Instant at) {
    String type =
        switch (state) {
          case EXPIRED -> EXPIRED;
          case UNREVIEWED -> UNREVIEWED;
          default -> throw new IllegalArgumentException("no event for an exception that is " + state.wire());
        };
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("exception_id", exception.exceptionId());
    payload.put("state", state.wire());
    payload.put("identity", exception.identity());
    payload.put("scope", exception.scope());
    payload.put("owner", exception.owner());
    payload.put("expires_at", exception.expiresAt().getEpochSecond());
    if (exception.lastReviewedAt() != null) {
      payload.put("last_reviewed_at", exception.lastReviewedAt().getEpochSecond());
    }
    payload.put("event_timestamp", at.getEpochSecond());
    payload.put("initiating_entity", "system");
    payload.put(
        "reason_admin",
        Map.of("en", state == ExceptionState.EXPIRED
            ? "standing exception expired without being revoked"
            : "standing exception not reviewed within the review interval"));
    List<SignalDeliveryRecord> out = new ArrayList<>();
    for (SignalsConfig.Receiver receiver : config.receivers()) {
      JWTClaimsSet claims =
          new JWTClaimsSet.Builder()
              .issuer(issuerUrl)
              .issueTime(Date.from(at))
              .jwtID(UUID.randomUUID().toString())
              .audience(receiver.audience())
              .claim("txn", exception.exceptionId())
              .claim("sub_id", Map.of("format", "opaque", "id", exception.exceptionId()))
              .claim("events", Map.of(type, payload))
              .build();
      out.add(
          new SignalDeliveryRecord(
              UUID.randomUUID().toString(), receiver.url().toString(), exception.exceptionId(), signer.sign(claims), 0, at, at));
    }
    return out;
  }
}
