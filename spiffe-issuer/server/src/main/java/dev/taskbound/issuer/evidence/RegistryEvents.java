package dev.taskbound.issuer.evidence;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.taskbound.issuer.store.BundleKeyRecord;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.Store;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Logs {@code key.rotated} and {@code controller.registered} by watching the store, so that every way those change
 * (rotation on this issuer, {@code taskbound-issuer controllers add} against the store) reaches the log through
 * its one writer. Each observed change is logged once per issuer start; on start, the current state is logged as a
 * baseline (a key's {@code state} then says where its rotation stands, not that it just moved).
 */
public final class RegistryEvents {
  /** What was last logged of one key or controller. */
  private record Seen(String alg, String state, String thumbprint) {}

  private final Store store;
  private final EvidenceLog log;
  private final Clock clock;
  private final Map<String, Seen> keys = new HashMap<>();
  private final Map<String, String> controllers = new HashMap<>();

  public RegistryEvents(Store store, EvidenceLog log, Clock clock) {
    this.store = store;
    this.log = log;
    this.clock = clock;
  }

  /** Logs what changed since the last call; returns how many events were appended. */
  public synchronized int record() {
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    Map<String, Seen> nextKeys = new HashMap<>();
    List<BundleKeyRecord> all = new ArrayList<>(store.bundleKeys());
    all.addAll(store.downstreamKeys());
    for (BundleKeyRecord k : all) {
      String id = k.use() + " " + k.kid();
      Seen seen = new Seen(k.alg(), k.state().name().toLowerCase(java.util.Locale.ROOT), thumbprint(k));
      nextKeys.put(id, seen);
      if (!seen.equals(keys.get(id))) {
        events.add(Event.keyRotated(now, k.use(), k.kid(), seen.alg(), seen.state(), seen.thumbprint()));
      }
    }
    keys.forEach((id, last) -> {
      if (!nextKeys.containsKey(id)) {
        String[] useAndKid = id.split(" ", 2);
        events.add(Event.keyRotated(now, useAndKid[0], useAndKid[1], last.alg(), "removed", last.thumbprint()));
      }
    });
    Map<String, String> nextControllers = new HashMap<>();
    for (ControllerRecord c : store.listControllers()) {
      String keysOf = controllerKeys(c);
      nextControllers.put(c.name(), keysOf);
      if (!keysOf.equals(controllers.get(c.name()))) {
        events.add(Event.controllerRegistered(now, c.name(), keysOf));
      }
    }
    if (!events.isEmpty()) {
      log.append(events);
    }
    // Only once the events are durable: a failed append is retried on the next call.
    keys.clear();
    keys.putAll(nextKeys);
    controllers.clear();
    controllers.putAll(nextControllers);
    return events.size();
  }

  /** RFC 7638 thumbprint of a key's public half (a JWK, or the key of an X.509 authority's certificate). */
  private static String thumbprint(BundleKeyRecord k) {
    try {
      JWK jwk =
          k.publicMaterial().startsWith("-----BEGIN CERTIFICATE")
              ? JWK.parse(certificate(k.publicMaterial()))
              : JWK.parse(k.publicMaterial());
      return jwk.computeThumbprint().toString();
    } catch (ParseException | JOSEException | CertificateException e) {
      throw new EvidenceException("key " + k.kid() + " has unreadable public material");
    }
  }

  /** The thumbprints of a controller's registered keys, or its JWKS URL when its keys are fetched. */
  private static String controllerKeys(ControllerRecord c) {
    if (c.jwksJson() == null) {
      return "jwks_url " + c.jwksUrl();
    }
    try {
      return JWKSet.parse(c.jwksJson()).getKeys().stream()
          .map(RegistryEvents::jwkThumbprint)
          .sorted()
          .collect(Collectors.joining(","));
    } catch (ParseException e) {
      throw new EvidenceException("controller " + c.name() + " has an unreadable JWKS");
    }
  }

  private static String jwkThumbprint(JWK jwk) {
    try {
      return jwk.computeThumbprint().toString();
    } catch (JOSEException e) {
      throw new EvidenceException("a controller key has no thumbprint");
    }
  }

  private static X509Certificate certificate(String pem) throws CertificateException {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }
}
