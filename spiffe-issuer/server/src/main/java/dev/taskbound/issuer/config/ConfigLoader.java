package dev.taskbound.issuer.config;

import java.util.HashSet;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import dev.taskbound.issuer.attest.AttestorsConfig;
import dev.taskbound.issuer.exceptions.ExceptionsConfig;
import dev.taskbound.issuer.attest.GitHubAttestorConfig;
import dev.taskbound.issuer.attest.JenkinsAttestorConfig;
import dev.taskbound.issuer.attest.OidcAttestorConfig;
import dev.taskbound.issuer.signals.SignalsConfig;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the YAML configuration (documented in {@code docs/configuration.md}), applies defaults, and refuses
 * unknown keys so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
  public static final String DEV_TRUST_DOMAIN = "taskbound.test";
  public static final String DEFAULT_DATA_DIR = ".taskbound";

  /** The YAML parser, built on first use: {@code serve --dev} reads no file, and building it is a tenth of its start-up. */
  private static final class Yaml {
    static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());
  }

  private ConfigLoader() {}

  /** Loads a configuration file. */
  public static IssuerConfig load(Path file) {
    JsonNode root;
    try {
      root = Yaml.MAPPER.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException("configuration " + file + " must be a YAML mapping");
    }
    return fromTree((ObjectNode) root, false);
  }

  /** The configuration of {@code serve --dev}: nothing to write, everything local. */
  public static IssuerConfig dev(Path dataDir) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("data_dir", dataDir.toString());
    return fromTree(root, true);
  }

  /** Applies {@code serve}'s command-line overrides; {@code --dev} with a file keeps the file's values. */
  public static IssuerConfig override(IssuerConfig cfg, boolean dev, String listen, Path dataDir) {
    String host = cfg.listenHost();
    int port = cfg.listenPort();
    if (listen != null) {
      HostPort hp = HostPort.parse(listen);
      host = hp.host();
      port = hp.port();
    }
    boolean devMode = cfg.dev() || dev;
    if (devMode && !new HostPort(host, port).loopback()) {
      throw new ConfigException("dev mode listens on loopback only, not " + host);
    }
    return new IssuerConfig(
        cfg.trustDomain(), cfg.issuerUrl(), host, port, dataDir != null ? dataDir : cfg.dataDir(), cfg.tls(), cfg.ca(),
        cfg.jwt(), cfg.store(), cfg.ttl(), devMode, cfg.attestors(), cfg.policyFile(), cfg.crl(), cfg.signals(),
        cfg.exchange(), cfg.introspection(), cfg.operations(), cfg.exceptions());
  }

  static IssuerConfig fromTree(ObjectNode root, boolean dev) {
    Node n = new Node(root, "");
    n.only(
        "trust_domain", "issuer_url", "listen", "data_dir", "tls", "ca", "jwt", "store", "ttl", "policy",
        "attestors", "dev", "crl", "signals", "exchange", "introspection", "metrics", "admin", "log", "exceptions");
    dev = dev || n.bool("dev", false);
    String trustDomain = n.text("trust_domain", dev ? DEV_TRUST_DOMAIN : null);
    if (trustDomain == null) {
      throw new ConfigException("trust_domain is required");
    }
    if (!trustDomain.matches("[a-z0-9._-]+")) {
      throw new ConfigException("trust_domain must be lower-case [a-z0-9._-]: " + trustDomain);
    }
    String issuerUrl = n.text("issuer_url", null);
    if (!dev && issuerUrl == null) {
      throw new ConfigException("issuer_url is required (the https URL relying parties see)");
    }
    if (issuerUrl != null && issuerUrl.endsWith("/")) {
      issuerUrl = issuerUrl.substring(0, issuerUrl.length() - 1);
    }
    String listen = n.text("listen", dev ? "127.0.0.1:8080" : "0.0.0.0:8443");
    HostPort hp = HostPort.parse(listen);
    Path dataDir = Path.of(n.text("data_dir", DEFAULT_DATA_DIR));

    IssuerConfig.Tls tls = null;
    Node t = n.child("tls");
    if (t != null) {
      t.only("cert_file", "key_file");
      tls = new IssuerConfig.Tls(t.path("cert_file", true), t.path("key_file", true));
    } else if (!dev) {
      throw new ConfigException("tls is required outside dev mode (tls.cert_file, tls.key_file)");
    }

    Node c = n.childOrEmpty("ca");
    c.only("source", "cert_file", "key_file", "chain_file", "pkcs11", "root_lifetime", "rotate_after");
    String source = c.text("source", "generated");
    if (!Set.of("generated", "pem", "pkcs11").contains(source)) {
      throw new ConfigException("ca.source must be generated, pem or pkcs11: " + source);
    }
    IssuerConfig.Pkcs11 pkcs11 = null;
    Node p = c.child("pkcs11");
    if (p != null) {
      p.only("library", "slot", "pin_env", "key_alias", "cert_file");
      if (!p.has("slot")) {
        // SunPKCS11 selects a token by slot; finding one by label would mean logging in to every token.
        throw new ConfigException("ca.pkcs11.slot is required (softhsm2-util --show-slots or pkcs11-tool -L lists them)");
      }
      pkcs11 =
          new IssuerConfig.Pkcs11(
              p.path("library", true),
              p.integer("slot"),
              p.text("pin_env", "TASKBOUND_PKCS11_PIN"),
              p.text("key_alias", "taskbound-ca"),
              p.path("cert_file", false));
    }
    if (source.equals("pkcs11") && pkcs11 == null) {
      throw new ConfigException("ca.source pkcs11 needs a ca.pkcs11 section");
    }
    IssuerConfig.Ca ca =
        new IssuerConfig.Ca(
            source,
            c.path("cert_file", source.equals("pem")),
            c.path("key_file", source.equals("pem")),
            c.path("chain_file", false),
            pkcs11,
            c.duration("root_lifetime", Duration.ofDays(365)),
            c.duration("rotate_after", Duration.ofDays(180)));

    Node j = n.childOrEmpty("jwt");
    j.only("algorithm", "rotate_after", "prepare_before");
    String alg = j.text("algorithm", "ES256");
    if (!alg.equals("ES256") && !alg.equals("RS256")) {
      throw new ConfigException("jwt.algorithm must be ES256 or RS256: " + alg);
    }
    IssuerConfig.Jwt jwt =
        new IssuerConfig.Jwt(
            alg, j.duration("rotate_after", Duration.ofHours(24)), j.duration("prepare_before", Duration.ofHours(1)));

    Node s = n.childOrEmpty("store");
    s.only("sqlite_path", "postgres_url", "postgres_user", "password_env", "connection_timeout", "key_encryption_env");
    Duration connectionTimeout =
        s.duration("connection_timeout", IssuerConfig.StoreConfig.DEFAULT_CONNECTION_TIMEOUT);
    if (connectionTimeout.compareTo(Duration.ofMillis(250)) < 0 || connectionTimeout.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new ConfigException("store.connection_timeout must be between 250ms and 1m");
    }
    IssuerConfig.StoreConfig store =
        new IssuerConfig.StoreConfig(
            s.path("sqlite_path", false),
            s.text("postgres_url", null),
            s.text("postgres_user", null),
            s.text("password_env", "TASKBOUND_DB_PASSWORD"),
            connectionTimeout,
            s.text("key_encryption_env", null));

    Node l = n.childOrEmpty("ttl");
    l.only("task_default", "task_max", "x509_svid", "jwt_svid", "heartbeat", "renew_interval");
    IssuerConfig.Ttl ttl =
        new IssuerConfig.Ttl(
            l.duration("task_default", Duration.ofMinutes(15)),
            l.duration("task_max", Duration.ofHours(6)),
            l.duration("x509_svid", Duration.ofMinutes(10)),
            l.duration("jwt_svid", Duration.ofMinutes(5)),
            l.duration("heartbeat", null),
            l.duration("renew_interval", IssuerConfig.Ttl.DEFAULT_RENEW_INTERVAL));
    if (ttl.taskDefault().compareTo(ttl.taskMax()) > 0) {
      throw new ConfigException("ttl.task_default must not exceed ttl.task_max");
    }
    if (ttl.renewInterval().compareTo(IssuerConfig.Ttl.RENEWAL_FLOOR) < 0) {
      throw new ConfigException("ttl.renew_interval must be at least " + HumanDuration.format(IssuerConfig.Ttl.RENEWAL_FLOOR));
    }
    if (ttl.heartbeat().compareTo(ttl.renewInterval().multipliedBy(2)) < 0) {
      // One late renewal must not cost a running step its identity.
      throw new ConfigException("ttl.heartbeat must be at least twice ttl.renew_interval");
    }

    Node pol = n.childOrEmpty("policy");
    pol.only("file");
    Path policyFile = pol.path("file", false);

    AttestorsConfig attestors = attestors(n.childOrEmpty("attestors"));

    Node cr = n.childOrEmpty("crl");
    cr.only("next_update");
    Duration nextUpdate = cr.duration("next_update", IssuerConfig.Crl.DEFAULT.nextUpdate());
    if (nextUpdate.compareTo(Duration.ofSeconds(1)) < 0 || nextUpdate.compareTo(Duration.ofDays(7)) > 0) {
      throw new ConfigException("crl.next_update must be between 1s and 7d");
    }
    IssuerConfig.Crl crl = new IssuerConfig.Crl(nextUpdate);
    SignalsConfig signals = signals(n.childOrEmpty("signals"));

    if (dev && !hp.loopback()) {
      throw new ConfigException("dev mode listens on loopback only, not " + listen);
    }
    OperationsConfig operations = operations(n.childOrEmpty("metrics"), n.childOrEmpty("admin"), n.childOrEmpty("log"));
    if (operations.adminMtls() != null && tls == null) {
      throw new ConfigException("admin.mtls needs the HTTPS listener: set tls.cert_file and tls.key_file");
    }
    return new IssuerConfig(
        trustDomain, issuerUrl, hp.host(), hp.port(), dataDir, tls, ca, jwt, store, ttl, dev, attestors, policyFile, crl,
        signals, exchange(n.childOrEmpty("exchange")), introspection(n.childOrEmpty("introspection")),
        operations, exceptions(n.childOrEmpty("exceptions")));
  }

  private static ExceptionsConfig exceptions(Node x) {
    x.only("max_lifetime", "review_interval", "expiring_within");
    try {
      return new ExceptionsConfig(
          x.duration("max_lifetime", ExceptionsConfig.DEFAULT_MAX_LIFETIME),
          x.duration("review_interval", ExceptionsConfig.DEFAULT_REVIEW_INTERVAL),
          x.duration("expiring_within", ExceptionsConfig.DEFAULT_EXPIRING_WITHIN));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage(), e);
    }
  }

  private static OperationsConfig operations(Node metrics, Node admin, Node log) {
    metrics.only("bearer_token_env");
    admin.only("oidc", "mtls", "approval_webhook");
    log.only("format");
    OperationsConfig.AdminOidc oidc = null;
    OperationsConfig.AdminMtls mtls = null;
    Node o = admin.child("oidc");
    try {
      if (o != null) {
        o.only("issuer", "audience", "algorithms", "subject_claim", "roles_claim", "roles", "login", "groups_claim");
        List<String> algorithms = o.texts("algorithms");
        if (algorithms != null) {
          dev.taskbound.issuer.attest.JwtRules.parseAlgorithms(algorithms);
        }
        oidc = new OperationsConfig.AdminOidc(
            o.text("issuer", null), o.text("audience", null), algorithms, o.text("subject_claim", null),
            o.text("roles_claim", null), o.strings("roles"), login(o.child("login")), o.text("groups_claim", null));
      }
      Node m = admin.child("mtls");
      if (m != null) {
        m.only("ca_file", "roles");
        mtls = new OperationsConfig.AdminMtls(m.path("ca_file", true), m.strings("roles"));
      }
      OperationsConfig.ApprovalWebhook webhook = null;
      Node w = admin.child("approval_webhook");
      if (w != null) {
        w.only("url", "secret_env", "max_attempts", "initial_backoff");
        webhook = new OperationsConfig.ApprovalWebhook(
            w.text("url", null), w.text("secret_env", null), w.has("max_attempts") ? w.integer("max_attempts") : 0,
            w.duration("initial_backoff", null));
      }
      String format = log.text("format", "text");
      if (!format.equals("text") && !format.equals("json")) {
        throw new ConfigException("log.format must be text or json: " + format);
      }
      return new OperationsConfig(
          metrics.text("bearer_token_env", null), oidc, mtls, OperationsConfig.LogFormat.valueOf(format.toUpperCase(java.util.Locale.ROOT)),
          webhook);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage(), e);
    }
  }

  private static OperationsConfig.Login login(Node l) {
    if (l == null) {
      return null;
    }
    l.only("client_id", "client_secret_env", "redirect_uri", "scopes", "authorization_endpoint", "token_endpoint", "session_lifetime");
    for (String key : List.of("redirect_uri", "authorization_endpoint", "token_endpoint")) {
      String url = l.text(key, null);
      if (url != null) {
        try {
          dev.taskbound.issuer.attest.JwksFetcher.checkedUri(url);
        } catch (RuntimeException e) {
          throw new ConfigException(l.prefix() + key + " must be an https URL (plain http only on loopback): " + url);
        }
      }
    }
    return new OperationsConfig.Login(
        l.text("client_id", null), l.text("client_secret_env", null), l.text("redirect_uri", null), l.texts("scopes"),
        l.text("authorization_endpoint", null), l.text("token_endpoint", null), l.duration("session_lifetime", null));
  }

  private static SignalsConfig signals(Node s) {
    s.only("receivers", "max_attempts", "initial_backoff");
    List<SignalsConfig.Receiver> receivers = new ArrayList<>();
    for (Node r : s.children("receivers")) {
      r.only("url", "audience", "bearer_token_env");
      String url = r.text("url", null);
      if (url == null) {
        throw new ConfigException(r.prefix() + "url is required");
      }
      try {
        receivers.add(new SignalsConfig.Receiver(URI.create(url), r.text("audience", null), r.text("bearer_token_env", null)));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("signals.receivers: " + e.getMessage(), e);
      }
    }
    int maxAttempts = s.has("max_attempts") ? s.integer("max_attempts") : SignalsConfig.DEFAULT_MAX_ATTEMPTS;
    try {
      return new SignalsConfig(
          receivers, maxAttempts, s.duration("initial_backoff", SignalsConfig.DEFAULT_INITIAL_BACKOFF));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("signals: " + e.getMessage(), e);
    }
  }

  private static IssuerConfig.Exchange exchange(Node x) {
    x.only("default_algorithm", "ttl", "audiences", "rotate_after", "prepare_before");
    IssuerConfig.Exchange defaults = IssuerConfig.Exchange.defaults();
    String defaultAlgorithm = jwsAlgorithm(x, "default_algorithm", defaults.defaultAlgorithm());
    Map<String, String> perAudience = new LinkedHashMap<>();
    Node audiences = x.child("audiences");
    if (audiences != null) {
      for (Iterator<String> it = audiences.node().fieldNames(); it.hasNext(); ) {
        String audience = it.next();
        Node a = audiences.child(audience);
        if (a == null) {
          throw new ConfigException(audiences.prefix() + audience + " must be a mapping");
        }
        a.only("algorithm");
        perAudience.put(audience, jwsAlgorithm(a, "algorithm", defaultAlgorithm));
      }
    }
    Duration ttl = x.duration("ttl", defaults.ttl());
    Duration rotateAfter = x.duration("rotate_after", defaults.rotateAfter());
    Duration prepareBefore = x.duration("prepare_before", defaults.prepareBefore());
    if (prepareBefore.compareTo(rotateAfter) >= 0) {
      throw new ConfigException("exchange.prepare_before must be shorter than exchange.rotate_after");
    }
    return new IssuerConfig.Exchange(defaultAlgorithm, ttl, perAudience, rotateAfter, prepareBefore);
  }

  private static String jwsAlgorithm(Node n, String key, String dflt) {
    String alg = n.text(key, dflt);
    if (!alg.equals("ES256") && !alg.equals("RS256")) {
      throw new ConfigException(n.prefix() + key + " must be ES256 or RS256: " + alg);
    }
    return alg;
  }

  private static IssuerConfig.Introspection introspection(Node i) {
    i.only("clients");
    List<IssuerConfig.Introspection.Client> clients = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (Node c : i.children("clients")) {
      c.only("id", "secret_env", "audiences");
      String id = c.text("id", null);
      String secretEnv = c.text("secret_env", null);
      List<String> audiences = c.texts("audiences");
      if (id == null || id.isBlank() || id.contains(":")) {
        throw new ConfigException(c.prefix() + "id is required and must not contain ':'");
      }
      if (secretEnv == null || secretEnv.isBlank()) {
        throw new ConfigException(c.prefix() + "secret_env is required (the secret itself never goes in this file)");
      }
      // Without audiences a relying party sees and revokes nothing (fail closed), and the issuer says so at start:
      // a configuration written before audiences existed still starts.
      if (audiences == null) {
        audiences = List.of();
      }
      if (audiences.stream().anyMatch(String::isBlank)) {
        throw new ConfigException(c.prefix() + "audiences must not contain an empty audience");
      }
      if (!ids.add(id)) {
        throw new ConfigException(c.prefix() + "id " + id + " is registered twice");
      }
      clients.add(new IssuerConfig.Introspection.Client(id, secretEnv, audiences));
    }
    return new IssuerConfig.Introspection(clients);
  }

  private static AttestorsConfig attestors(Node a) {
    a.only("github", "jenkins", "oidc");
    try {
      GitHubAttestorConfig github = null;
      Node g = a.child("github");
      if (g != null) {
        g.only("issuer", "enterprise", "ghes_host", "audience", "algorithms");
        String audience = g.text("audience", null);
        // Three ways to name the token service; taking one silently over another would trust the wrong issuer.
        if (Stream.of("issuer", "enterprise", "ghes_host").filter(g::has).count() > 1) {
          throw new ConfigException("attestors.github: set only one of issuer, enterprise, ghes_host");
        }
        String issuer = g.has("enterprise") ? GitHubAttestorConfig.enterpriseCloud(g.text("enterprise", null), audience).issuer()
            : g.has("ghes_host") ? GitHubAttestorConfig.enterpriseServer(g.text("ghes_host", null), audience).issuer()
            : g.text("issuer", null);
        github = new GitHubAttestorConfig(issuer, audience, g.texts("algorithms"));
      }
      JenkinsAttestorConfig jenkins = null;
      Node j = a.child("jenkins");
      if (j != null) {
        j.only("audience", "algorithms");
        jenkins = new JenkinsAttestorConfig(j.text("audience", null), j.texts("algorithms"));
      }
      List<OidcAttestorConfig> oidc = new ArrayList<>();
      for (Node o : a.children("oidc")) {
        o.only("name", "issuer", "audience", "algorithms", "claims", "single_use");
        String singleUse = o.text("single_use", "jti");
        if (!singleUse.equals("jti") && !singleUse.equals("token")) {
          throw new ConfigException(o.prefix() + "single_use must be jti (the default) or token, not " + singleUse);
        }
        Map<String, String> mapping = new LinkedHashMap<>();
        Node claims = o.child("claims");
        if (claims != null) {
          claims.node().fields().forEachRemaining(e -> mapping.put(e.getKey(), e.getValue().asText()));
        }
        oidc.add(new OidcAttestorConfig(o.text("name", null), o.text("issuer", null), o.text("audience", null), o.texts("algorithms"),
            mapping, singleUse.equals("token")));
      }
      return new AttestorsConfig(github, jenkins, oidc);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new ConfigException("attestors: " + e.getMessage(), e);
    }
  }

  /** {@code HOST:PORT}; port 0 picks a free port. */
  public record HostPort(String host, int port) {
    public static HostPort parse(String text) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0) {
        throw new ConfigException("listen must be HOST:PORT: " + text);
      }
      String host = text.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      try {
        int port = Integer.parseInt(text.substring(colon + 1));
        if (port < 0 || port > 65535) {
          throw new NumberFormatException();
        }
        return new HostPort(host, port);
      } catch (NumberFormatException e) {
        throw new ConfigException("listen port must be 0-65535: " + text);
      }
    }

    public boolean loopback() {
      return host.equals("127.0.0.1") || host.equals("::1") || host.equals("localhost");
    }
  }

  /** A YAML mapping with the path of keys that led to it, for messages that point at the key. */
  private record Node(JsonNode node, String prefix) {
    void only(String... keys) {
      Set<String> allowed = Set.of(keys);
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!allowed.contains(k)) {
          throw new ConfigException("unknown configuration key " + prefix + k);
        }
      }
    }

    List<String> texts(String key) {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        return null;
      }
      if (!v.isArray()) {
        throw new ConfigException(prefix + key + " must be a list");
      }
      List<String> out = new ArrayList<>();
      v.forEach(x -> out.add(x.asText()));
      return out;
    }

    List<Node> children(String key) {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        return List.of();
      }
      if (!v.isArray()) {
        throw new ConfigException(prefix + key + " must be a list");
      }
      List<Node> out = new ArrayList<>();
      for (int i = 0; i < v.size(); i++) {
        if (!v.get(i).isObject()) {
          throw new ConfigException(prefix + key + "[" + i + "] must be a mapping");
        }
        out.add(new Node(v.get(i), prefix + key + "[" + i + "]."));
      }
      return out;
    }

    boolean has(String key) {
      return node.hasNonNull(key);
    }

    /** A mapping of strings to strings, e.g. claim value → role; empty when absent. */
    Map<String, String> strings(String key) {
      Node m = child(key);
      Map<String, String> out = new LinkedHashMap<>();
      if (m != null) {
        m.node().fields().forEachRemaining(e -> {
          if (!e.getValue().isValueNode()) {
            throw new ConfigException(m.prefix() + e.getKey() + " must be a scalar");
          }
          out.put(e.getKey(), e.getValue().asText());
        });
      }
      return out;
    }

    Node child(String key) {
      JsonNode c = node.get(key);
      if (c == null || c.isNull()) {
        return null;
      }
      if (!c.isObject()) {
        throw new ConfigException(prefix + key + " must be a mapping");
      }
      return new Node(c, prefix + key + ".");
    }

    Node childOrEmpty(String key) {
      Node c = child(key);
      return c != null ? c : new Node(JsonNodeFactory.instance.objectNode(), prefix + key + ".");
    }

    String text(String key, String dflt) {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        return dflt;
      }
      if (!v.isValueNode()) {
        throw new ConfigException(prefix + key + " must be a scalar");
      }
      return v.asText();
    }

    boolean bool(String key, boolean dflt) {
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        return dflt;
      }
      if (!v.isBoolean()) {
        throw new ConfigException(prefix + key + " must be true or false");
      }
      return v.booleanValue();
    }

    int integer(String key) {
      JsonNode v = node.get(key);
      if (!v.canConvertToInt()) {
        throw new ConfigException(prefix + key + " must be an integer");
      }
      return v.intValue();
    }

    Path path(String key, boolean required) {
      String v = text(key, null);
      if (v == null && required) {
        throw new ConfigException(prefix + key + " is required");
      }
      return v == null ? null : Path.of(v);
    }

    Duration duration(String key, Duration dflt) {
      String v = text(key, null);
      if (v == null) {
        return dflt;
      }
      try {
        return HumanDuration.parse(v);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(prefix + key + ": " + e.getMessage());
      }
    }
  }
}
