package dev.taskbound.client;

import dev.taskbound.api.JwtSvidCredential;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The SVID contents to write where the key lives: the X.509-SVID chain, the trust bundle and one JWT-SVID per
 * audience. It carries tokens: send it over an authenticated channel only, and never persist it.
 */
public final class SvidFiles implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String taskId;
  private final String spiffeId;
  private final String x509SvidChainPem;
  private final String bundlePem;
  private final ArrayList<String> audiences;
  private final ArrayList<String> tokens;

  SvidFiles(Svids svids) {
    this.taskId = svids.taskId();
    this.spiffeId = svids.spiffeId();
    this.x509SvidChainPem = svids.x509SvidChainPem();
    this.bundlePem = svids.bundlePem();
    this.audiences = new ArrayList<>();
    this.tokens = new ArrayList<>();
    for (JwtSvidCredential jwt : svids.jwtSvids()) {
      audiences.add(jwt.audience());
      tokens.add(jwt.token());
    }
  }

  public List<String> audiences() {
    return List.copyOf(audiences);
  }

  Svids toSvids() {
    List<JwtSvidCredential> jwts = new ArrayList<>();
    for (int i = 0; i < audiences.size(); i++) {
      jwts.add(new JwtSvidCredential(audiences.get(i), tokens.get(i), null));
    }
    return new Svids(taskId, spiffeId, x509SvidChainPem, jwts, bundlePem, null, null, null);
  }

  @Override
  public String toString() {
    return "SvidFiles[" + taskId + ", audiences=" + audiences + "]";
  }
}
