package dev.taskbound.client;

import com.nimbusds.jose.jwk.ECKey;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What comes back from where the key was generated: the private directory holding {@code svid_key.pem}, the
 * public key (a JWK, JSON) and the proof of possession. Never the private key. Crosses a remoting channel only as
 * {@link #toWire()} (JDK types), since channels such as Jenkins' accept no class of a library jar.
 */
public final class KeyOffer {
  private final String directory;
  private final String publicJwkJson;
  private final String proof;

  public KeyOffer(String directory, String publicJwkJson, String proof) {
    this.directory = directory;
    this.publicJwkJson = publicJwkJson;
    this.proof = proof;
  }

  static String jwkJson(TaskKey key) {
    return new ECKey.Builder(com.nimbusds.jose.jwk.Curve.P_256, key.publicKey()).build().toJSONString();
  }

  /** The agent-side private directory (an absolute path in the agent's file system). */
  public String directory() {
    return directory;
  }

  public String proof() {
    return proof;
  }

  /** The public key for the begin request; refuses anything but a public EC P-256 JWK. */
  public Map<String, Object> publicJwk() {
    ECKey jwk;
    try {
      jwk = ECKey.parse(publicJwkJson);
    } catch (ParseException e) {
      throw new IllegalArgumentException("the agent's public key is not an EC JWK");
    }
    if (jwk.isPrivate() || !com.nimbusds.jose.jwk.Curve.P_256.equals(jwk.getCurve())) {
      throw new IllegalArgumentException("the agent must offer a public P-256 key, nothing else");
    }
    return jwk.toPublicJWK().toJSONObject();
  }

  /** This offer as plain strings, for a remote call's answer. */
  public LinkedHashMap<String, String> toWire() {
    LinkedHashMap<String, String> wire = new LinkedHashMap<>();
    wire.put("directory", directory);
    wire.put("public_jwk", publicJwkJson);
    wire.put("proof", proof);
    return wire;
  }

  /** The offer {@link #toWire()} made; what the agent claims is checked again by {@link #publicJwk()}. */
  public static KeyOffer fromWire(Map<String, String> wire) {
    return new KeyOffer(Wire.required(wire, "directory"), Wire.required(wire, "public_jwk"), Wire.required(wire, "proof"));
  }

  @Override
  public String toString() {
    return "KeyOffer[" + directory + "]";
  }
}
