package dev.taskbound.issuer.attest;

import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.Store;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The enabled attestors by {@code attestation.type}; a type that is not enabled is refused by name. */
public final class Attestors {
  private static final int MAX_ECHOED_TYPE_CHARS = 64;

  private final Map<String, Attestor> byType;

  public Attestors(Collection<? extends Attestor> attestors) {
    Map<String, Attestor> map = new LinkedHashMap<>();
    for (Attestor attestor : attestors) {
      if (map.putIfAbsent(attestor.type(), attestor) != null) {
        throw new IllegalArgumentException("two attestors for type '" + attestor.type() + "'");
      }
    }
    this.byType = java.util.Collections.unmodifiableMap(map);
  }

  /**
   * The attestors {@code config} enables, plus {@code extra} (e.g. the dev attestor).
   *
   * @param taskboundIssuerUrl this issuer's URL, the default audience of every attestor
   */
  public static Attestors fromConfig(
      AttestorsConfig config,
      String taskboundIssuerUrl,
      Store store,
      Clock clock,
      JwksFetcher fetcher,
      Attestor... extra) {
    List<Attestor> list = new ArrayList<>(List.of(extra));
    if (config.github() != null) {
      list.add(new GitHubOidcAttestor(config.github(), taskboundIssuerUrl, store, clock, fetcher));
    }
    if (config.jenkins() != null) {
      list.add(new JenkinsRunStatementAttestor(config.jenkins(), taskboundIssuerUrl, store, clock, fetcher));
    }
    for (OidcAttestorConfig oidc : config.oidc()) {
      list.add(new GenericOidcAttestor(oidc, taskboundIssuerUrl, store, clock, fetcher));
    }
    return new Attestors(list);
  }

  /** The attestors in registration order, e.g. for {@code TaskLifecycle}. */
  public List<Attestor> list() {
    return List.copyOf(byType.values());
  }

  public Set<String> types() {
    return byType.keySet();
  }

  public Optional<Attestor> find(String type) {
    return Optional.ofNullable(type == null ? null : byType.get(type));
  }

  /** Verifies with the attestor for {@code attestation.type()}. */
  public AttestedIdentity attest(Attestation attestation) {
    if (attestation == null) {
      throw new AttestationException("attestation is missing");
    }
    Attestor attestor =
        find(attestation.type())
            .orElseThrow(
                () -> new AttestationException("attestor '" + printable(attestation.type()) + "' is not enabled"));
    return attestor.attest(attestation);
  }

  // The type is caller input; keep what is echoed short and printable.
  private static String printable(String type) {
    if (type == null) {
      return "";
    }
    String cut = type.length() > MAX_ECHOED_TYPE_CHARS ? type.substring(0, MAX_ECHOED_TYPE_CHARS) + "…" : type;
    return cut.replaceAll("[^\\x20-\\x7E…]", "?");
  }
}
