package dev.taskbound.client;

import dev.taskbound.api.JwtSvidCredential;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contents to write where the key lives: the X.509-SVID chain, the trust bundle, one JWT-SVID per audience and
 * the downstream tokens exchanged this time (none on a renewal that exchanged nothing: their files stay). It
 * carries tokens: send it over an authenticated channel only, as {@link #toWire()}, and never persist it.
 */
public final class SvidFiles {
  private static final String JWT = "jwt:";
  private static final String DOWNSTREAM = "downstream:";

  private final String taskId;
  private final String spiffeId;
  private final String x509SvidChainPem;
  private final String bundlePem;
  /** Audience → JWT-SVID, in the order the audiences were asked for (the first is {@code jwt_svid.token}). */
  private final LinkedHashMap<String, String> jwtSvids;
  /** Audience → downstream token. */
  private final LinkedHashMap<String, String> downstream;

  SvidFiles(Svids svids, List<DownstreamToken> downstreamTokens) {
    this(svids.taskId(), svids.spiffeId(), svids.x509SvidChainPem(), svids.bundlePem(), new LinkedHashMap<>(), new LinkedHashMap<>());
    for (JwtSvidCredential jwt : svids.jwtSvids()) {
      jwtSvids.put(jwt.audience(), jwt.token());
    }
    for (DownstreamToken t : downstreamTokens) {
      downstream.put(t.audience(), t.token());
    }
  }

  private SvidFiles(String taskId, String spiffeId, String x509SvidChainPem, String bundlePem,
      LinkedHashMap<String, String> jwtSvids, LinkedHashMap<String, String> downstream) {
    this.taskId = taskId;
    this.spiffeId = spiffeId;
    this.x509SvidChainPem = x509SvidChainPem;
    this.bundlePem = bundlePem;
    this.jwtSvids = jwtSvids;
    this.downstream = downstream;
  }

  public List<String> audiences() {
    return List.copyOf(jwtSvids.keySet());
  }

  /** Audience → downstream token to write this time. */
  Map<String, String> downstream() {
    return new LinkedHashMap<>(downstream);
  }

  Svids toSvids() {
    List<JwtSvidCredential> jwts = new ArrayList<>();
    jwtSvids.forEach((audience, token) -> jwts.add(new JwtSvidCredential(audience, token, null)));
    return new Svids(taskId, spiffeId, x509SvidChainPem, jwts, bundlePem, null, null, null);
  }

  /** Plain strings for a remote call (keys {@code jwt:<audience>} and {@code downstream:<audience>} keep the order). */
  public LinkedHashMap<String, String> toWire() {
    LinkedHashMap<String, String> wire = new LinkedHashMap<>();
    wire.put("task_id", taskId);
    wire.put("spiffe_id", spiffeId);
    wire.put("x509_svid", x509SvidChainPem);
    wire.put("bundle", bundlePem);
    jwtSvids.forEach((audience, token) -> wire.put(JWT + audience, token));
    downstream.forEach((audience, token) -> wire.put(DOWNSTREAM + audience, token));
    return wire;
  }

  public static SvidFiles fromWire(Map<String, String> wire) {
    LinkedHashMap<String, String> jwts = Wire.prefixed(wire, JWT);
    LinkedHashMap<String, String> downstream = Wire.prefixed(wire, DOWNSTREAM);
    return new SvidFiles(Wire.required(wire, "task_id"), Wire.required(wire, "spiffe_id"), Wire.required(wire, "x509_svid"),
        Wire.required(wire, "bundle"), jwts, downstream);
  }

  @Override
  public String toString() {
    return "SvidFiles[" + taskId + ", audiences=" + jwtSvids.keySet() + ", downstream=" + downstream.keySet() + "]";
  }
}
