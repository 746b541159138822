package dev.taskbound.client.jenkins;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.Attestation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Signs run statements ({@code typ taskbound-run+jwt}, ES256, {@code kid}) for one controller and one issuer:
 * {@code iss} and {@code controller} are the controller's registered name, {@code aud} the issuer URL,
 * {@code exp} at most five minutes after {@code iat}, {@code jti} random. Sign right before the begin request: a
 * statement is accepted once and only while fresh. Thread-safe.
 */
public final class RunStatementSigner {
  public static final String TYPE = "taskbound-run+jwt";
  public static final String ATTESTATION_TYPE = "jenkins";
  /** The issuer refuses statements that live longer than this. */
  public static final Duration MAX_LIFETIME = Duration.ofMinutes(5);
  /** Long enough for an agent round trip and the begin call, short enough to be useless once leaked. */
  public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(2);

  private static final int MAX_CONTROLLER_NAME = 128;

  private final String controllerName;
  private final String audience;
  private final ControllerKey key;
  private final Duration lifetime;
  private final Clock clock;

  /**
   * @param controllerName the name the controller is registered under ({@code [A-Za-z0-9._-]}, 1–128)
   * @param audience the issuer URL (the statement's {@code aud})
   */
  public RunStatementSigner(String controllerName, String audience, ControllerKey key, Duration lifetime, Clock clock) {
    if (controllerName == null || controllerName.isEmpty() || controllerName.length() > MAX_CONTROLLER_NAME
        || !controllerName.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("controller name must be 1-128 characters of [A-Za-z0-9._-]");
    }
    if (audience == null || audience.isBlank()) {
      throw new IllegalArgumentException("the issuer URL (statement audience) is required");
    }
    if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
      throw new IllegalArgumentException("a run statement lives between 1 s and " + MAX_LIFETIME.toSeconds() + " s");
    }
    this.controllerName = controllerName;
    this.audience = audience.endsWith("/") ? audience.substring(0, audience.length() - 1) : audience;
    this.key = Objects.requireNonNull(key, "key");
    this.lifetime = lifetime;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public RunStatementSigner(String controllerName, String audience, ControllerKey key) {
    this(controllerName, audience, key, DEFAULT_LIFETIME, Clock.systemUTC());
  }

  public String controllerName() {
    return controllerName;
  }

  /** The compact JWS of {@code statement}, signed now. */
  public String sign(RunStatement statement) {
    Instant now = clock.instant();
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(controllerName)
            .audience(audience)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(lifetime)))
            .jwtID(UUID.randomUUID().toString())
            .claim("controller", controllerName)
            .claim("job", statement.job())
            .claim("build_number", statement.buildNumber())
            .claim("flow_node_id", statement.flowNodeId());
    putIfSet(claims, "build_url", statement.buildUrl());
    putIfSet(claims, "node", statement.node());
    putIfSet(claims, "triggering_user", statement.triggeringUser());
    if (!statement.causes().isEmpty()) {
      List<Map<String, Object>> causes = new ArrayList<>();
      for (RunStatement.Cause c : statement.causes()) {
        Map<String, Object> cause = new LinkedHashMap<>();
        cause.put("type", c.type());
        if (c.userId() != null) {
          cause.put("user_id", c.userId());
        }
        causes.add(cause);
      }
      claims.claim("causes", causes);
    }
    if (statement.scm() != null) {
      Map<String, Object> scm = new LinkedHashMap<>();
      scm.put("revision", statement.scm().revision());
      if (statement.scm().url() != null) {
        scm.put("url", statement.scm().url());
      }
      if (statement.scm().branch() != null) {
        scm.put("branch", statement.scm().branch());
      }
      claims.claim("scm", scm);
    }
    SignedJWT jws =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType(TYPE)).keyID(key.keyId()).build(),
            claims.build());
    try {
      jws.sign(key.signer());
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign the run statement", e);
    }
    return jws.serialize();
  }

  /** {@link #sign} wrapped as the begin request's attestation ({@code type jenkins}). */
  public Attestation attest(RunStatement statement) {
    return new Attestation(ATTESTATION_TYPE, sign(statement));
  }

  private static void putIfSet(JWTClaimsSet.Builder claims, String name, String value) {
    if (value != null) {
      claims.claim(name, value);
    }
  }

  @Override
  public String toString() {
    return "RunStatementSigner[" + controllerName + " -> " + audience + ", kid=" + key.keyId() + "]";
  }
}
