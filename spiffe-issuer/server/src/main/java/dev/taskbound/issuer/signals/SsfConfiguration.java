package dev.taskbound.issuer.signals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The transmitter's metadata for {@code /.well-known/ssf-configuration} (SSF 1.0 §7.1). Streams are configured
 * by the operator, not through a stream-management API, so no {@code configuration_endpoint} is advertised.
 */
public final class SsfConfiguration {
  public static final String WELL_KNOWN_PATH = "/.well-known/ssf-configuration";
  public static final String JWKS_PATH = "/ssf/jwks";
  static final String PUSH_DELIVERY = "urn:ietf:rfc:8935";

  private SsfConfiguration() {}

  public static Map<String, Object> of(String issuerUrl) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("spec_version", "1_0");
    doc.put("issuer", issuerUrl);
    doc.put("jwks_uri", issuerUrl + JWKS_PATH);
    doc.put("delivery_methods_supported", List.of(PUSH_DELIVERY));
    // Every event names the workload; a receiver that cannot read the application member must not act on it.
    doc.put("critical_subject_members", List.of("application"));
    doc.put("default_subjects", "ALL");
    return doc;
  }
}
