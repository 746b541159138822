package dev.taskbound.issuer.attest;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.Store;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Attestation type {@code jenkins}: a run statement the Taskbound Jenkins plugin signs with its controller's key
 * (contract: {@code docs/jenkins-run-statement.md}). The statement's {@code iss} names the controller; its keys
 * come from the controller's registration in the store, so an unregistered controller is refused before any
 * signature work.
 */
public final class JenkinsRunStatementAttestor implements Attestor {
  public static final String TYPE = "jenkins";
  public static final JOSEObjectType STATEMENT_TYPE = new JOSEObjectType("taskbound-run+jwt");
  public static final Duration MAX_LIFETIME = Duration.ofMinutes(5);

  private final String audience;
  private final Set<JWSAlgorithm> algorithms;
  private final Store store;
  private final Clock clock;
  private final JwksFetcher fetcher;
  /** Verifiers by controller name, rebuilt when the registration changes. */
  private final Map<String, ControllerVerifier> verifiers = new ConcurrentHashMap<>();

  public JenkinsRunStatementAttestor(
      JenkinsAttestorConfig config, String taskboundIssuerUrl, Store store, Clock clock, JwksFetcher fetcher) {
    this.audience = config.audience() != null ? config.audience() : Objects.requireNonNull(taskboundIssuerUrl);
    this.algorithms = JwtRules.parseAlgorithms(config.algorithms());
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public AttestedIdentity attest(Attestation attestation) {
    String token = attestation.token();
    SignedJWT unverified = JwtVerifier.parseSigned(token, JwtRules.DEFAULT_MAX_TOKEN_CHARS);
    String controller = JwtVerifier.unverifiedClaims(unverified).getIssuer();
    if (controller == null || controller.isBlank()) {
      throw new AttestationException("run statement has no iss (controller name)");
    }
    // The name comes from an unverified token, so it is only used for a lookup and not echoed back.
    ControllerRecord record =
        store.findController(controller)
            .orElseThrow(() -> new AttestationException("run statement is from an unregistered Jenkins controller"));
    VerifiedJwt jwt = verifierFor(record).verify(token);
    Map<String, Object> claims = jwt.claims();
    if (!controller.equals(claims.get("controller"))) {
      throw new AttestationException("run statement's controller claim differs from its iss");
    }
    for (String required : List.of("job", "build_number", "flow_node_id")) {
      String value = NormalisedContext.text(claims.get(required));
      if (value == null || value.isEmpty()) {
        throw new AttestationException("run statement has no " + required);
      }
    }
    if (!(claims.get("build_number") instanceof Number)) {
      throw new AttestationException("run statement's build_number must be a JSON integer");
    }
    NormalisedContext context = new NormalisedContext(TYPE, claims);
    for (String name :
        List.of("controller", "job", "build_number", "build_url", "flow_node_id", "node", "triggering_user")) {
      context.claim(name);
    }
    if (claims.get("scm") instanceof Map<?, ?> scm) {
      context.value("scm_revision", scm.get("revision"));
      context.value("scm_branch", scm.get("branch"));
      context.value("scm_url", scm.get("url"));
    }
    return new AttestedIdentity(TYPE, context.build(), claims, jwt.sha256(), jwt.use());
  }

  private JwtVerifier verifierFor(ControllerRecord record) {
    ControllerVerifier cached = verifiers.get(record.name());
    if (cached != null && cached.sameRegistration(record)) {
      return cached.verifier();
    }
    JwtRules rules =
        JwtRules.of(record.name(), audience, algorithms)
            .withRequiredType(STATEMENT_TYPE)
            .withMaxLifetime(MAX_LIFETIME);
    JwtVerifier verifier = new JwtVerifier(rules, keysOf(record), clock);
    verifiers.put(record.name(), new ControllerVerifier(record.jwksJson(), record.jwksUrl(), verifier));
    return verifier;
  }

  private JwksSource keysOf(ControllerRecord record) {
    if (record.jwksJson() != null) {
      JWKSet keys;
      try {
        keys = ControllerJwks.parse(record.jwksJson()).toPublicJWKSet();
      } catch (IllegalArgumentException e) {
        throw new AttestationException("registered keys of this controller are invalid: " + e.getMessage());
      }
      return kid -> Optional.ofNullable(keys.getKeyByKeyId(kid));
    }
    if (record.jwksUrl() != null) {
      return fetcher.jwksUrlKeys(URI.create(record.jwksUrl()), clock);
    }
    throw new AttestationException("this controller is registered without keys");
  }

  private record ControllerVerifier(String jwksJson, String jwksUrl, JwtVerifier verifier) {
    boolean sameRegistration(ControllerRecord record) {
      return Objects.equals(jwksJson, record.jwksJson()) && Objects.equals(jwksUrl, record.jwksUrl());
    }
  }
}
