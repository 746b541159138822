package dev.taskbound.issuer.ca;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.store.BundleKeyRecord;
import dev.taskbound.issuer.store.Store;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The trust bundle as the store holds it (prepared, active and retired authorities alike), and its
 * {@code GET /bundle} form: a SPIFFE bundle JWKS.
 */
public final class BundleService implements TrustBundleSource {
  public static final String USE_X509 = "x509-svid";
  public static final String USE_JWT = "jwt-svid";
  private static final int CONSISTENT_READ_ATTEMPTS = 5;

  private final Store store;
  private final String trustDomain;
  private final Duration refreshHint;
  /** The bundle as last built, with its PEM and JSON forms: rebuilt only when the store's sequence moves on. */
  private volatile Built built;

  private record Built(TrustBundle bundle, String x509Pem, String json) {}

  public BundleService(Store store, String trustDomain, Duration refreshHint) {
    this.store = Objects.requireNonNull(store, "store");
    this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
    this.refreshHint = Objects.requireNonNull(refreshHint, "refreshHint");
  }

  @Override
  public TrustBundle current() {
    return built().bundle();
  }

  /** The X.509 authorities as concatenated PEM ({@code bundle.pem}), as of the current sequence. */
  public String x509Pem() {
    return built().x509Pem();
  }

  /**
   * One read of the sequence per call; PEM parsing, JWK building and serialising happen once per bundle change
   * (every change increments the sequence in the same transaction), not once per begin.
   */
  private Built built() {
    Built cached = built;
    if (cached != null && cached.bundle().sequence() == store.bundleSequence()) {
      return cached;
    }
    TrustBundle fresh = read();
    Built next = new Built(fresh, fresh.x509Pem(), toJson(fresh));
    built = next;
    return next;
  }

  private TrustBundle read() {
    // Keys and sequence are two reads; retry until no rotation happened in between, so a bundle never claims a
    // sequence its content does not have.
    for (int attempt = 0; ; attempt++) {
      long before = store.freshBundleSequence();
      List<BundleKeyRecord> records = new ArrayList<>(store.bundleKeys());
      long after = store.freshBundleSequence();
      if (before == after || attempt >= CONSISTENT_READ_ATTEMPTS) {
        return toBundle(records, after);
      }
    }
  }

  /** The exact body of {@code GET /bundle} ({@code application/json}). */
  public String bundleJson() {
    return built().json();
  }

  /** A bundle as SPIFFE bundle JWKS: X.509 authorities with {@code x5c} and no {@code kid}, JWT ones with it. */
  public static String toJson(TrustBundle bundle) {
    List<Map<String, Object>> keys = new ArrayList<>();
    for (X509Certificate cert : bundle.x509Authorities()) {
      keys.add(x509Jwk(cert).toJSONObject());
    }
    for (JWK jwk : bundle.jwtAuthorities()) {
      keys.add(jwk.toPublicJWK().toJSONObject());
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("keys", keys);
    body.put("spiffe_sequence", bundle.sequence());
    body.put("spiffe_refresh_hint", bundle.refreshHint().toSeconds());
    try {
      return ApiJson.mapper().writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the trust bundle", e);
    }
  }

  private TrustBundle toBundle(List<BundleKeyRecord> records, long sequence) {
    records.sort(Comparator.comparing(BundleKeyRecord::createdAt).thenComparing(BundleKeyRecord::kid));
    List<X509Certificate> x509 = new ArrayList<>();
    List<JWK> jwt = new ArrayList<>();
    for (BundleKeyRecord record : records) {
      switch (record.use()) {
        case USE_X509 -> x509.addAll(Pem.parseCertificates(record.publicMaterial()));
        case USE_JWT -> jwt.add(jwtJwk(record));
        default -> throw new IllegalStateException("bundle key " + record.kid() + " has unknown use " + record.use());
      }
    }
    return new TrustBundle(trustDomain, x509, jwt, sequence, refreshHint);
  }

  private static JWK jwtJwk(BundleKeyRecord record) {
    try {
      JWK jwk = JWK.parse(record.publicMaterial()).toPublicJWK();
      if (!record.kid().equals(jwk.getKeyID())) {
        throw new IllegalStateException("bundle key " + record.kid() + " carries another kid");
      }
      return jwk;
    } catch (ParseException e) {
      throw new IllegalStateException("bundle key " + record.kid() + " is not a JWK", e);
    }
  }

  /** The public JWK of a JWT signing key as the bundle publishes it. */
  static JWK jwtJwk(SigningKey key, String kid) {
    KeyUse use = new KeyUse(USE_JWT);
    if (key.publicKey() instanceof ECPublicKey ec) {
      return new ECKey.Builder(com.nimbusds.jose.jwk.Curve.P_256, ec).keyID(kid).keyUse(use).build();
    }
    if (key.publicKey() instanceof RSAPublicKey rsa) {
      return new RSAKey.Builder(rsa).keyID(kid).keyUse(use).build();
    }
    throw new IllegalArgumentException("unsupported JWT key type " + key.publicKey().getAlgorithm());
  }

  private static JWK x509Jwk(X509Certificate cert) {
    List<Base64> x5c;
    try {
      x5c = List.of(Base64.encode(cert.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("certificate cannot be encoded", e);
    }
    KeyUse use = new KeyUse(USE_X509);
    if (cert.getPublicKey() instanceof ECPublicKey ec) {
      return new ECKey.Builder(com.nimbusds.jose.jwk.Curve.forECParameterSpec(ec.getParams()), ec)
          .keyUse(use)
          .x509CertChain(x5c)
          .build();
    }
    if (cert.getPublicKey() instanceof RSAPublicKey rsa) {
      return new RSAKey.Builder(rsa).keyUse(use).x509CertChain(x5c).build();
    }
    throw new IllegalArgumentException("unsupported X.509 authority key " + cert.getPublicKey().getAlgorithm());
  }
}
