package dev.taskbound.client;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.ProofOfPossession;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

/**
 * A task's EC P-256 key pair, generated where the step runs. Only {@link #publicJwk()} travels to the issuer; the
 * private key signs the proof of possession and is written, if at all, only to the step's private directory.
 */
public final class TaskKey {
  private final ECPublicKey publicKey;
  private final ECPrivateKey privateKey;

  private TaskKey(ECPublicKey publicKey, ECPrivateKey privateKey) {
    this.publicKey = publicKey;
    this.privateKey = privateKey;
  }

  public static TaskKey generate() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair pair = gen.generateKeyPair();
      return new TaskKey((ECPublicKey) pair.getPublic(), (ECPrivateKey) pair.getPrivate());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is not available in this JVM", e);
    }
  }

  public ECPublicKey publicKey() {
    return publicKey;
  }

  public ECPrivateKey privateKey() {
    return privateKey;
  }

  /** The public key as a JWK object ({@code kty}, {@code crv}, {@code x}, {@code y}), for the begin request. */
  public Map<String, Object> publicJwk() {
    return new ECKey.Builder(Curve.P_256, publicKey).build().toJSONObject();
  }

  /** The private key as unencrypted PKCS#8 PEM, for {@code svid_key.pem} in the step's private directory. */
  public String privateKeyPem() {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(privateKey.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  /**
   * Signs the proof of possession for a begin request to {@code issuerUrl} carrying {@code attestationToken} (see
   * {@link ProofOfPossession}).
   */
  public String proofOfPossession(String issuerUrl, String attestationToken, Instant now) {
    return proofOfPossessionForDigest(issuerUrl, attestationDigest(attestationToken), now);
  }

  /**
   * The same proof from the attestation's digest alone ({@link #attestationDigest}), for adapters whose key lives
   * where the attestation must not travel (a Jenkins agent never sees the controller's run statement).
   */
  public String proofOfPossessionForDigest(String issuerUrl, String attestationSha256, Instant now) {
    return proof(issuerUrl, ProofOfPossession.CLAIM_ATTESTATION_SHA256, attestationSha256, now);
  }

  /** The proof that collects the task of approved request {@code approvalId} (bound to it, not to an attestation). */
  public String proofForApproval(String issuerUrl, String approvalId, Instant now) {
    return proof(issuerUrl, ProofOfPossession.CLAIM_APPROVAL_ID, approvalId, now);
  }

  /**
   * The proof that collects an approved request's task, signed by a key read back from its PKCS#8 PEM (where the key
   * was generated and written: a Jenkins agent's {@code svid_key.pem}).
   */
  public static String proofForApprovalFromPem(String pkcs8Pem, String issuerUrl, String approvalId, Instant now) {
    ECPrivateKey key;
    try {
      String body = pkcs8Pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
      key = (ECPrivateKey) java.security.KeyFactory.getInstance("EC")
          .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
      throw new IllegalArgumentException("the task key file does not hold an EC private key");
    }
    return sign(key, issuerUrl, ProofOfPossession.CLAIM_APPROVAL_ID, approvalId, now);
  }

  private String proof(String issuerUrl, String claim, String value, Instant now) {
    return sign(privateKey, issuerUrl, claim, value, now);
  }

  private static String sign(ECPrivateKey privateKey, String issuerUrl, String claim, String value, Instant now) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .audience(issuerUrl)
            .issueTime(Date.from(now))
            .jwtID(UUID.randomUUID().toString())
            .claim(claim, value)
            .build();
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType(ProofOfPossession.JWS_TYPE)).build();
    SignedJWT jws = new SignedJWT(header, claims);
    try {
      jws.sign(new ECDSASigner(privateKey, Curve.P_256));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign the proof of possession", e);
    }
    return jws.serialize();
  }

  /** Base64url SHA-256 of an attestation token, as the proof's {@code attestation_sha256} claim carries it. */
  public static String attestationDigest(String token) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "TaskKey[P-256, private=<redacted>]";
  }
}
