package dev.taskbound.issuer.admin;

import dev.taskbound.api.ProblemType;
import dev.taskbound.issuer.ca.SvidChains;
import dev.taskbound.issuer.config.OperationsConfig;
import dev.taskbound.issuer.task.TaskException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * Operators who authenticate with a client certificate ({@code admin.mtls}): the chain must lead to one of the admin
 * CAs (not to the SVID authorities: a task's identity is never an operator's), the leaf must be an end-entity
 * certificate for client authentication, and one of its identities — a URI SAN, or its subject name — must map to a
 * role. The TLS handshake has already proved that the client holds the leaf's key.
 */
public final class AdminCertificates {
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final int SAN_URI = 6;

  private final List<X509Certificate> authorities;
  private final Map<String, Role> byUri = new LinkedHashMap<>();
  private final Map<X500Principal, Role> bySubject = new LinkedHashMap<>();
  private final Clock clock;

  private AdminCertificates(List<X509Certificate> authorities, Map<String, String> roles, Clock clock) {
    this.authorities = List.copyOf(authorities);
    this.clock = clock;
    roles.forEach((identity, role) -> {
      if (identity.contains("://")) {
        byUri.put(identity, Role.fromWire(role));
      } else {
        try {
          bySubject.put(new X500Principal(identity), Role.fromWire(role));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("admin.mtls.roles: '" + identity + "' is neither a URI nor a distinguished name (CN=…,O=…)");
        }
      }
    });
  }

  /** Reads the CA file; refuses a file without a CA certificate, so a misconfiguration stops the start. */
  public static AdminCertificates load(OperationsConfig.AdminMtls config, Clock clock) {
    List<X509Certificate> cas = new ArrayList<>();
    try (InputStream in = Files.newInputStream(config.caFile())) {
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        cas.add((X509Certificate) c);
      }
    } catch (IOException | CertificateException e) {
      throw new IllegalArgumentException("admin.mtls.ca_file " + config.caFile() + " cannot be read: " + e.getMessage(), e);
    }
    if (cas.isEmpty() || cas.stream().anyMatch(c -> c.getBasicConstraints() < 0)) {
      throw new IllegalArgumentException("admin.mtls.ca_file " + config.caFile() + " must hold CA certificates only");
    }
    return new AdminCertificates(cas, config.roles(), clock);
  }

  /** The admin CAs, which the HTTPS listener also accepts client certificates from. */
  public List<X509Certificate> authorities() {
    return authorities;
  }

  /**
   * The operator a client certificate chain (leaf first) stands for; {@code 401} when the chain is not an admin
   * client certificate, {@code 403} when it maps to no role.
   */
  Operator authenticate(List<X509Certificate> chain) {
    X509Certificate leaf = chain.get(0);
    if (!SvidChains.chainsTo(chain, authorities, clock.instant())) {
      throw AdminAuthenticator.unauthenticated(
          "the client certificate is not issued by an admin CA (admin.mtls.ca_file), or is not valid now");
    }
    if (leaf.getBasicConstraints() >= 0) {
      throw AdminAuthenticator.unauthenticated("the client certificate is a CA certificate");
    }
    if (!forClientAuth(leaf)) {
      throw AdminAuthenticator.unauthenticated("the client certificate's extended key usage does not allow client authentication");
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    String name = null;
    for (String uri : uris(leaf)) {
      Role role = byUri.get(uri);
      if (role != null) {
        roles.add(role);
        name = name == null ? uri : name;
      }
    }
    X500Principal subject = leaf.getSubjectX500Principal();
    Role role = bySubject.get(subject);
    if (role != null) {
      roles.add(role);
      name = name == null ? subject.getName(X500Principal.RFC2253) : name;
    }
    if (roles.isEmpty()) {
      throw new TaskException(
          ProblemType.FORBIDDEN,
          "no role: neither the client certificate's subject (" + subject.getName(X500Principal.RFC2253)
              + ") nor its URI SANs are mapped in admin.mtls.roles");
    }
    // A certificate names no groups: its holder approves no request whose rule names a group (use an IdP token).
    return new Operator("x509:" + leaf.getIssuerX500Principal().getName(X500Principal.RFC2253), name, roles, Set.of());
  }

  private static boolean forClientAuth(X509Certificate leaf) {
    try {
      List<String> usages = leaf.getExtendedKeyUsage();
      return usages == null || usages.contains(CLIENT_AUTH);
    } catch (CertificateParsingException e) {
      return false;
    }
  }

  private static List<String> uris(X509Certificate leaf) {
    try {
      Collection<List<?>> names = leaf.getSubjectAlternativeNames();
      if (names == null) {
        return List.of();
      }
      return names.stream().filter(n -> Integer.valueOf(SAN_URI).equals(n.get(0))).map(n -> (String) n.get(1)).toList();
    } catch (CertificateParsingException e) {
      return List.of();
    }
  }
}
