package dev.taskbound.issuer.config;

import dev.taskbound.issuer.attest.AttestorsConfig;
import dev.taskbound.issuer.exceptions.ExceptionsConfig;
import dev.taskbound.issuer.signals.SignalsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The issuer's whole configuration, read in one place ({@link ConfigLoader}) and immutable afterwards. Durations
 * are validated at load time; every field has a documented default in {@code docs/configuration.md}.
 *
 * @param dev dev mode: the dev attestor is on, plain HTTP is allowed (loopback only)
 * @param attestors the attestors besides dev mode's: GitHub Actions, Jenkins controllers, generic OIDC
 * @param policyFile the policy (YAML, CEL rules); null means the built-in dev policy in dev mode, deny-all otherwise
 * @param crl how the CRL is published
 * @param signals Shared Signals receivers; none by default
 * @param exchange token exchange: downstream token lifetime and signing algorithm per audience
 * @param introspection relying parties registered for {@code /introspect} and {@code /revoke}
 * @param operations {@code /metrics} and the admin API
 * @param exceptions the standing-privilege exception register: maximum lifetime, review interval
 */
public record IssuerConfig(
    String trustDomain,
    String issuerUrl,
    String listenHost,
    int listenPort,
    Path dataDir,
    Tls tls,
    Ca ca,
    Jwt jwt,
    StoreConfig store,
    Ttl ttl,
    boolean dev,
    AttestorsConfig attestors,
    Path policyFile,
    Crl crl,
    SignalsConfig signals,
    Exchange exchange,
    Introspection introspection,
    OperationsConfig operations,
    ExceptionsConfig exceptions) {

  /** A configuration with every optional section at its default: no attestors beyond dev mode's, no policy file. */
  public IssuerConfig(
      String trustDomain,
      String issuerUrl,
      String listenHost,
      int listenPort,
      Path dataDir,
      Tls tls,
      Ca ca,
      Jwt jwt,
      StoreConfig store,
      Ttl ttl,
      boolean dev) {
    this(trustDomain, issuerUrl, listenHost, listenPort, dataDir, tls, ca, jwt, store, ttl, dev, null, null, null, null, null, null);
  }

  /** A configuration with the operator settings at their defaults. */
  public IssuerConfig(
      String trustDomain, String issuerUrl, String listenHost, int listenPort, Path dataDir, Tls tls, Ca ca, Jwt jwt,
      StoreConfig store, Ttl ttl, boolean dev, AttestorsConfig attestors, Path policyFile, Crl crl, SignalsConfig signals,
      Exchange exchange, Introspection introspection) {
    this(trustDomain, issuerUrl, listenHost, listenPort, dataDir, tls, ca, jwt, store, ttl, dev, attestors, policyFile, crl,
        signals, exchange, introspection, null);
  }

  /** A configuration with the exception register's rules at their defaults. */
  public IssuerConfig(
      String trustDomain, String issuerUrl, String listenHost, int listenPort, Path dataDir, Tls tls, Ca ca, Jwt jwt,
      StoreConfig store, Ttl ttl, boolean dev, AttestorsConfig attestors, Path policyFile, Crl crl, SignalsConfig signals,
      Exchange exchange, Introspection introspection, OperationsConfig operations) {
    this(trustDomain, issuerUrl, listenHost, listenPort, dataDir, tls, ca, jwt, store, ttl, dev, attestors, policyFile, crl,
        signals, exchange, introspection, operations, null);
  }

  public IssuerConfig {
    Objects.requireNonNull(trustDomain, "trust_domain");
    Objects.requireNonNull(dataDir, "data_dir");
    Objects.requireNonNull(ca, "ca");
    Objects.requireNonNull(jwt, "jwt");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(ttl, "ttl");
    attestors = attestors == null ? AttestorsConfig.none() : attestors;
    crl = crl == null ? Crl.DEFAULT : crl;
    signals = signals == null ? SignalsConfig.none() : signals;
    exchange = exchange == null ? Exchange.defaults() : exchange;
    introspection = introspection == null ? new Introspection(List.of()) : introspection;
    operations = operations == null ? OperationsConfig.defaults() : operations;
    exceptions = exceptions == null ? ExceptionsConfig.defaults() : exceptions;
  }

  /** Returns a copy with another issuer URL (used once the listening port is known). */
  public IssuerConfig withIssuerUrl(String url) {
    return new IssuerConfig(
        trustDomain, url, listenHost, listenPort, dataDir, tls, ca, jwt, store, ttl, dev, attestors, policyFile, crl, signals,
        exchange, introspection, operations, exceptions);
  }

  /** TLS for the HTTP listener; null in dev mode (plain HTTP on loopback). */
  public record Tls(Path certFile, Path keyFile) {}

  /**
   * Where the X.509 CA key and certificate come from.
   *
   * @param source {@code generated} (self-signed root generated and persisted in the data dir, rotated),
   *     {@code pem} (an intermediate CA from PEM files, signed by the organisation's root) or {@code pkcs11}
   * @param chainFile PEM certificates from the CA's issuer up to the root (optional, {@code pem}/{@code pkcs11})
   * @param rootLifetime validity of a generated root
   * @param rotateAfter how long a generated root signs before the next one takes over
   */
  public record Ca(
      String source,
      Path certFile,
      Path keyFile,
      Path chainFile,
      Pkcs11 pkcs11,
      Duration rootLifetime,
      Duration rotateAfter) {}

  /**
   * A CA key in a PKCS#11 token, reached through SunPKCS11.
   *
   * @param library path of the PKCS#11 module (e.g. {@code /usr/lib/softhsm/libsofthsm2.so})
   * @param slot the token's slot id; SunPKCS11 selects tokens by slot
   * @param pinEnv the environment variable holding the user PIN (the PIN itself is never in the file)
   * @param keyAlias the key's label (CKA_LABEL) in the token
   * @param certFile the CA certificate (PEM); when absent the certificate stored under {@code keyAlias} is used
   */
  public record Pkcs11(
      Path library, int slot, String pinEnv, String keyAlias, Path certFile) {}

  /**
   * JWT-SVID signing keys.
   *
   * @param algorithm {@code ES256} (default) or {@code RS256}
   * @param rotateAfter how long one key signs before the prepared successor takes over
   * @param prepareBefore how long before activation a successor is published in the bundle
   */
  public record Jwt(String algorithm, Duration rotateAfter, Duration prepareBefore) {}

  /**
   * Where state lives: a SQLite file (default {@code <data_dir>/taskbound.db}) or a PostgreSQL JDBC URL.
   *
   * @param passwordEnv the environment variable holding the PostgreSQL password
   * @param connectionTimeout the longest wait for a pooled connection (and for a new PostgreSQL connection)
   * @param keyEncryptionEnv when set, the environment variable holding the secret that seals generated private keys
   *     kept in the store (shared by every replica); unset keeps them on this replica's disk
   */
  public record StoreConfig(
      Path sqlitePath, String postgresUrl, String postgresUser, String passwordEnv, Duration connectionTimeout,
      String keyEncryptionEnv) {
    /** How long a request waits for a database connection before it is answered 503 (PostgreSQL). */
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);

    public StoreConfig(Path sqlitePath, String postgresUrl, String postgresUser, String passwordEnv) {
      this(sqlitePath, postgresUrl, postgresUser, passwordEnv, DEFAULT_CONNECTION_TIMEOUT, null);
    }

    public StoreConfig {
      if (connectionTimeout == null) {
        connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
      }
    }

    /** True when generated private keys are shared through the store (sealed), so replicas sign with the same keys. */
    public boolean sharedKeys() {
      return keyEncryptionEnv != null && !keyEncryptionEnv.isBlank();
    }

    public boolean postgres() {
      return postgresUrl != null && !postgresUrl.isBlank();
    }
  }

  /**
   * Lifetimes.
   *
   * @param taskDefault lifetime of a task that asks for none
   * @param taskMax the longest a task may live, renewals included
   * @param x509Svid lifetime of one X.509-SVID (renewed at half-life)
   * @param jwtSvid lifetime of one JWT-SVID
   * @param heartbeat a task not renewed within this window is abandoned by the reaper; null for
   *     {@link #defaultHeartbeat} of {@code renewInterval}
   * @param renewInterval the longest a client waits between renewals (each renewal is also its heartbeat); null for
   *     {@link #DEFAULT_RENEW_INTERVAL}
   */
  public record Ttl(
      Duration taskDefault, Duration taskMax, Duration x509Svid, Duration jwtSvid, Duration heartbeat,
      Duration renewInterval) {
    public static final Duration DEFAULT_RENEW_INTERVAL = Duration.ofSeconds(20);
    /** Renewals missed before the reaper calls a task abandoned, when {@code heartbeat} is not set. */
    public static final int MISSED_RENEWALS = 3;
    public static final Duration MIN_HEARTBEAT = Duration.ofSeconds(30);
    /** No renewal is scheduled into a task's last this-much: its credentials then last to its end. */
    public static final Duration RENEWAL_FLOOR = Duration.ofSeconds(5);

    public Ttl {
      renewInterval = renewInterval == null ? DEFAULT_RENEW_INTERVAL : renewInterval;
      heartbeat = heartbeat == null ? defaultHeartbeat(renewInterval) : heartbeat;
    }

    /** Lifetimes with the default renewal interval. */
    public Ttl(Duration taskDefault, Duration taskMax, Duration x509Svid, Duration jwtSvid, Duration heartbeat) {
      this(taskDefault, taskMax, x509Svid, jwtSvid, heartbeat, null);
    }

    /** A few missed renewals, not less than {@link #MIN_HEARTBEAT}: a lost client's task is revoked within about a minute. */
    public static Duration defaultHeartbeat(Duration renewInterval) {
      Duration missed = renewInterval.multipliedBy(MISSED_RENEWALS);
      return missed.compareTo(MIN_HEARTBEAT) < 0 ? MIN_HEARTBEAT : missed;
    }
  }

  /**
   * The CRL at {@code GET /crl}.
   *
   * @param nextUpdate how far ahead each CRL's {@code nextUpdate} lies (how long relying parties may cache it)
   */
  public record Crl(Duration nextUpdate) {
    public static final Crl DEFAULT = new Crl(Duration.ofMinutes(5));

    public Crl {
      Objects.requireNonNull(nextUpdate, "crl.next_update");
      if (nextUpdate.isNegative() || nextUpdate.isZero()) {
        throw new IllegalArgumentException("crl.next_update must be positive");
      }
    }
  }


  /**
   * RFC 8693 token exchange and the downstream tokens it issues.
   *
   * @param defaultAlgorithm {@code ES256} (default) or {@code RS256}, for audiences not listed in {@code audiences}
   * @param ttl lifetime of one downstream token (never beyond the task's end of life)
   * @param audienceAlgorithms signing algorithm per downstream audience (e.g. Azure accepts RS256 only)
   * @param rotateAfter how long one downstream signing key signs before its prepared successor takes over
   * @param prepareBefore how long before activation a successor is published at {@code /jwks}
   */
  public record Exchange(
      String defaultAlgorithm, Duration ttl, Map<String, String> audienceAlgorithms, Duration rotateAfter,
      Duration prepareBefore) {
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);

    public Exchange {
      Objects.requireNonNull(defaultAlgorithm, "exchange.default_algorithm");
      Objects.requireNonNull(ttl, "exchange.ttl");
      audienceAlgorithms = audienceAlgorithms == null ? Map.of() : Map.copyOf(audienceAlgorithms);
      Objects.requireNonNull(rotateAfter, "exchange.rotate_after");
      Objects.requireNonNull(prepareBefore, "exchange.prepare_before");
    }

    public static Exchange defaults() {
      return new Exchange("ES256", DEFAULT_TTL, Map.of(), Duration.ofHours(24), Duration.ofHours(1));
    }

    /** The JWS algorithm downstream tokens for {@code audience} are signed with. */
    public String algorithmFor(String audience) {
      return audienceAlgorithms.getOrDefault(audience, defaultAlgorithm);
    }
  }

  /**
   * Relying parties allowed to call {@code /introspect} and {@code /revoke} with HTTP Basic authentication.
   *
   * @param clients each with its {@code client_id}, the environment variable holding its secret, and the audiences
   *     whose tokens it may introspect and revoke
   */
  public record Introspection(List<Client> clients) {
    public Introspection {
      clients = clients == null ? List.of() : List.copyOf(clients);
    }

    /**
     * The secret itself is never in the configuration file, only the name of the variable that holds it. A client
     * sees (RFC 7662 §4) and revokes only tokens whose {@code aud} names one of its {@code audiences}.
     */
    public record Client(String id, String secretEnv, List<String> audiences) {
      public Client {
        audiences = List.copyOf(audiences);
      }
    }
  }
}
