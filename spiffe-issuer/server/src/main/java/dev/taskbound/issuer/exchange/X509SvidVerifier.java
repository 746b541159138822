package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.ca.SvidChains;
import dev.taskbound.issuer.ca.X509SvidIssued;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.Store;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies an X.509-SVID a client presented over mutual TLS (the TLS handshake proved it holds the key): chain to
 * one of our X.509 authorities at {@code now}, exactly one {@code spiffe://} URI SAN in our trust domain, a serial
 * we issued to a task, not revoked. Revocation and the serial-to-task map are answered from memory after first use.
 */
final class X509SvidVerifier {
  private static final int MAX_REMEMBERED_SERIALS = 10_000;

  /** The verified SVID: its task, SPIFFE ID, serial and the RFC 8705 {@code x5t#S256} thumbprint of the leaf. */
  record Verified(TaskSnapshot task, String spiffeId, String serialHex, String x5tS256) {}

  private final OwnKeys keys;
  private final Store store;
  private final RevocationState revocations;
  private final Map<String, String> taskBySerial = new ConcurrentHashMap<>();

  X509SvidVerifier(OwnKeys keys, Store store, RevocationState revocations) {
    this.keys = keys;
    this.store = store;
    this.revocations = revocations;
  }

  Optional<Verified> verify(List<X509Certificate> chain, Instant now) {
    if (chain.isEmpty()) {
      return Optional.empty();
    }
    X509Certificate leaf = chain.get(0);
    if (leaf.getBasicConstraints() >= 0 || !SvidChains.chainsTo(chain, keys.x509Authorities(), now)) {
      return Optional.empty();
    }
    Optional<String> spiffeId = spiffeId(leaf);
    if (spiffeId.isEmpty() || !spiffeId.get().startsWith("spiffe://" + keys.trustDomain() + "/")) {
      return Optional.empty();
    }
    String serial = X509SvidIssued.serialHex(leaf.getSerialNumber());
    if (revocations.isRevoked(CredentialKind.X509_SVID, serial)) {
      return Optional.empty();
    }
    String taskId = taskBySerial.get(serial);
    if (taskId == null) {
      Optional<CredentialRecord> issued = store.findCredential(CredentialKind.X509_SVID, serial);
      if (issued.isEmpty()) {
        return Optional.empty();
      }
      if (issued.get().revokedAt() != null) {
        revocations.revoked(CredentialKind.X509_SVID, serial, issued.get().expiresAt());
        return Optional.empty();
      }
      taskId = issued.get().taskId();
      if (taskBySerial.size() >= MAX_REMEMBERED_SERIALS) {
        taskBySerial.clear();
      }
      taskBySerial.put(serial, taskId);
    }
    if (revocations.isEnded(taskId)) {
      return Optional.empty();
    }
    String id = spiffeId.get();
    return revocations
        .task(taskId)
        .filter(t -> t.activeAt(now) && t.task().spiffeId().equals(id))
        .map(t -> new Verified(t, id, serial, thumbprint(leaf)));
  }

  private static Optional<String> spiffeId(X509Certificate leaf) {
    try {
      Collection<List<?>> names = leaf.getSubjectAlternativeNames();
      if (names == null) {
        return Optional.empty();
      }
      List<String> uris =
          names.stream().filter(n -> Integer.valueOf(6).equals(n.get(0))).map(n -> (String) n.get(1)).toList();
      return uris.size() == 1 && uris.get(0).startsWith("spiffe://") ? Optional.of(uris.get(0)) : Optional.empty();
    } catch (GeneralSecurityException e) {
      return Optional.empty();
    }
  }

  static String thumbprint(X509Certificate leaf) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded());
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot hash a certificate", e);
    }
  }
}
