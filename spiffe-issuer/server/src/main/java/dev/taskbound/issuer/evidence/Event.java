package dev.taskbound.issuer.evidence;

import static dev.taskbound.client.evidence.EvidenceFormat.AUDIENCE;
import static dev.taskbound.client.evidence.EvidenceFormat.CREDENTIAL_ID;
import static dev.taskbound.client.evidence.EvidenceFormat.EXPIRES_AT;
import static dev.taskbound.client.evidence.EvidenceFormat.KIND;
import static dev.taskbound.client.evidence.EvidenceFormat.NOT_BEFORE;
import static dev.taskbound.client.evidence.EvidenceFormat.OUTCOME;
import static dev.taskbound.client.evidence.EvidenceFormat.RESIDUAL_EXPOSURE_SECONDS;
import static dev.taskbound.client.evidence.EvidenceFormat.REVOKED_AT;
import static dev.taskbound.client.evidence.EvidenceFormat.SPIFFE_ID;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.client.evidence.CanonicalJson;
import dev.taskbound.client.evidence.CredentialStatus;
import dev.taskbound.client.evidence.EvidenceFormat;
import dev.taskbound.client.evidence.EvidenceJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One evidence event, already in its logged form: canonical JSON (RFC 8785) with integer epoch-second times.
 * Built only through the factories below, one per event type, which take digests and ids — never tokens, keys
 * or other secrets — and reject a "digest" that is not one.
 */
public record Event(String type, String taskId, byte[] entry) {
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  public Event {
    Objects.requireNonNull(type, "type");
    entry = entry.clone();
  }

  @Override
  public byte[] entry() {
    return entry.clone();
  }

  public String json() {
    return new String(entry, StandardCharsets.UTF_8);
  }

  /** The task began: who attested (by digest), in which normalised context, under which policy rule. */
  public static Event taskBegun(
      String taskId, Instant at, String spiffeId, String attestor, String attestationSha256,
      Map<String, String> context, String policyVersion, String policyRule, String publicKeyThumbprint,
      Instant expiresAt) {
    ObjectNode o = base(EvidenceFormat.TASK_BEGUN, taskId, at);
    o.put(SPIFFE_ID, required(spiffeId, SPIFFE_ID));
    o.put("attestor", required(attestor, "attestor"));
    o.put("attestation_sha256", digest(attestationSha256, "attestation_sha256"));
    ObjectNode ctx = o.putObject("context");
    context.forEach(ctx::put);
    o.put("policy_version", policyVersion);
    o.put("policy_rule", policyRule);
    o.put("public_key_thumbprint", required(publicKeyThumbprint, "public_key_thumbprint"));
    o.put(EXPIRES_AT, expiresAt.getEpochSecond());
    return of(o, taskId);
  }

  /**
   * A credential was issued to the task. {@code credentialId} is the X.509 serial (hex) or the JWT {@code jti};
   * {@code audience} is null for X.509-SVIDs.
   */
  public static Event credentialIssued(
      String taskId, Instant at, String kind, String credentialId, String spiffeId, String audience,
      Instant notBefore, Instant expiresAt, String publicKeyThumbprint) {
    ObjectNode o = base(EvidenceFormat.CREDENTIAL_ISSUED, taskId, at);
    credential(o, kind, credentialId, audience, notBefore, expiresAt);
    o.put(SPIFFE_ID, required(spiffeId, SPIFFE_ID));
    o.put("public_key_thumbprint", publicKeyThumbprint);
    return of(o, taskId);
  }

  /** A task credential was exchanged (RFC 8693) for a downstream token, itself a credential of the task. */
  public static Event tokenExchanged(
      String taskId, Instant at, String subjectCredentialId, String downstreamJti, String audience,
      Instant notBefore, Instant expiresAt, String policyRule) {
    ObjectNode o = base(EvidenceFormat.TOKEN_EXCHANGED, taskId, at);
    credential(o, "downstream-token", downstreamJti, required(audience, AUDIENCE), notBefore, expiresAt);
    o.put("subject_credential_id", required(subjectCredentialId, "subject_credential_id"));
    o.put("policy_rule", policyRule);
    return of(o, taskId);
  }

  public static Event taskRenewed(String taskId, Instant at, Instant expiresAt) {
    ObjectNode o = base(EvidenceFormat.TASK_RENEWED, taskId, at);
    o.put(EXPIRES_AT, expiresAt.getEpochSecond());
    return of(o, taskId);
  }

  /** The task ended with {@code outcome} (succeeded, failed, aborted, timed_out, abandoned). */
  public static Event taskEnded(String taskId, Instant at, String outcome) {
    ObjectNode o = base(EvidenceFormat.TASK_ENDED, taskId, at);
    o.put(OUTCOME, required(outcome, OUTCOME));
    return of(o, taskId);
  }

  /** A credential was revoked; records how long it stays usable offline: {@code exp − revoked_at}, at least 0. */
  public static Event credentialRevoked(
      String taskId, Instant revokedAt, String kind, String credentialId, Instant expiresAt) {
    ObjectNode o = base(EvidenceFormat.CREDENTIAL_REVOKED, taskId, revokedAt);
    o.put(KIND, required(kind, KIND));
    o.put(CREDENTIAL_ID, required(credentialId, CREDENTIAL_ID));
    o.put(REVOKED_AT, revokedAt.getEpochSecond());
    o.put(EXPIRES_AT, expiresAt.getEpochSecond());
    o.put(RESIDUAL_EXPOSURE_SECONDS, CredentialStatus.residualExposureSeconds(expiresAt.getEpochSecond(), revokedAt.getEpochSecond()));
    return of(o, taskId);
  }

  public static Event policyLoaded(Instant at, String policyVersion, String policySha256, int rules) {
    ObjectNode o = base(EvidenceFormat.POLICY_LOADED, null, at);
    o.put("policy_version", required(policyVersion, "policy_version"));
    o.put("policy_sha256", digest(policySha256, "policy_sha256"));
    o.put("rules", rules);
    return of(o, null);
  }

  /** A signing key changed state ({@code prepared}, {@code active}, {@code retired}). */
  public static Event keyRotated(Instant at, String keyUse, String kid, String alg, String state, String publicKeyThumbprint) {
    ObjectNode o = base(EvidenceFormat.KEY_ROTATED, null, at);
    o.put("key_use", required(keyUse, "key_use"));
    o.put("kid", required(kid, "kid"));
    o.put("alg", required(alg, "alg"));
    o.put("state", required(state, "state"));
    o.put("public_key_thumbprint", required(publicKeyThumbprint, "public_key_thumbprint"));
    return of(o, null);
  }

  /** A Jenkins controller was registered with the key (by thumbprint) its attestations are checked against. */
  public static Event controllerRegistered(Instant at, String controller, String publicKeyThumbprint) {
    ObjectNode o = base(EvidenceFormat.CONTROLLER_REGISTERED, null, at);
    o.put("controller", required(controller, "controller"));
    o.put("public_key_thumbprint", required(publicKeyThumbprint, "public_key_thumbprint"));
    return of(o, null);
  }

  /**
   * An operator acted through the admin API: who (the IdP's issuer and the operator's subject, or {@code dev} for
   * dev mode's login), with which role, what ({@code action}, e.g. {@code task.end}) and why.
   */
  public static Event operatorAction(
      String taskId, Instant at, String operatorIssuer, String operator, String role, String action, String reason) {
    ObjectNode o = base(EvidenceFormat.OPERATOR_ACTION, taskId, at);
    o.put("operator_issuer", required(operatorIssuer, "operator_issuer"));
    o.put("operator", required(operator, "operator"));
    o.put("role", required(role, "role"));
    o.put("action", required(action, "action"));
    o.put("reason", reason);
    return of(o, taskId);
  }

  /**
   * A begin under a rule with {@code approval:} now waits for approvers: the request, the task id it reserves, who
   * asked (the attested actor, may be null; the attestation by digest, spent now), which rule and group.
   */
  public static Event approvalRequested(
      String taskId, Instant at, String approvalId, String requester, String attestor, String attestationSha256,
      String policyVersion, String policyRule, String spiffeId, String approvers, int minApprovers, Instant expiresAt) {
    ObjectNode o = approval(EvidenceFormat.APPROVAL_REQUESTED, taskId, at, approvalId);
    o.put("requester", requester);
    o.put("attestor", required(attestor, "attestor"));
    o.put("attestation_sha256", digest(attestationSha256, "attestation_sha256"));
    o.put("policy_version", policyVersion);
    o.put("policy_rule", policyRule);
    o.put(SPIFFE_ID, required(spiffeId, SPIFFE_ID));
    o.put("approvers", required(approvers, "approvers"));
    o.put("min_approvers", minApprovers);
    o.put(EXPIRES_AT, expiresAt.getEpochSecond());
    return of(o, taskId);
  }

  /** One approver approved (the request is approved once {@code min_approvers} distinct approvers did). */
  public static Event approvalGranted(String taskId, Instant at, String approvalId, String approverIssuer, String approver) {
    ObjectNode o = approval(EvidenceFormat.APPROVAL_GRANTED, taskId, at, approvalId);
    o.put("approver_issuer", required(approverIssuer, "approver_issuer"));
    o.put(EvidenceFormat.APPROVER, required(approver, EvidenceFormat.APPROVER));
    return of(o, taskId);
  }

  /** An approver denied the request, with a reason: no task is issued. */
  public static Event approvalDenied(
      String taskId, Instant at, String approvalId, String approverIssuer, String approver, String reason) {
    ObjectNode o = approval(EvidenceFormat.APPROVAL_DENIED, taskId, at, approvalId);
    o.put("approver_issuer", required(approverIssuer, "approver_issuer"));
    o.put(EvidenceFormat.APPROVER, required(approver, EvidenceFormat.APPROVER));
    o.put("reason", reason);
    return of(o, taskId);
  }

  /** The request ran out of time (not approved, or approved and never collected): no task is issued. */
  public static Event approvalExpired(String taskId, Instant at, String approvalId) {
    return of(approval(EvidenceFormat.APPROVAL_EXPIRED, taskId, at, approvalId), taskId);
  }

  /** The caller withdrew the request (its step was aborted): no task is issued. */
  public static Event approvalWithdrawn(String taskId, Instant at, String approvalId) {
    return of(approval(EvidenceFormat.APPROVAL_WITHDRAWN, taskId, at, approvalId), taskId);
  }

  private static ObjectNode approval(String type, String taskId, Instant at, String approvalId) {
    ObjectNode o = base(type, required(taskId, EvidenceFormat.TASK_ID), at);
    o.put(EvidenceFormat.APPROVAL_ID, required(approvalId, EvidenceFormat.APPROVAL_ID));
    return o;
  }

  private static ObjectNode base(String type, String taskId, Instant at) {
    ObjectNode o = EvidenceJson.object();
    o.put(EvidenceFormat.TYPE, type);
    o.put(EvidenceFormat.TIME, at.getEpochSecond());
    if (taskId != null) {
      o.put(EvidenceFormat.TASK_ID, required(taskId, EvidenceFormat.TASK_ID));
    }
    return o;
  }

  private static void credential(
      ObjectNode o, String kind, String credentialId, String audience, Instant notBefore, Instant expiresAt) {
    o.put(KIND, required(kind, KIND));
    o.put(CREDENTIAL_ID, required(credentialId, CREDENTIAL_ID));
    o.put(AUDIENCE, audience);
    o.put(NOT_BEFORE, notBefore.getEpochSecond());
    o.put(EXPIRES_AT, expiresAt.getEpochSecond());
  }

  private static Event of(ObjectNode o, String taskId) {
    return new Event(o.get(EvidenceFormat.TYPE).textValue(), taskId, CanonicalJson.bytes(o));
  }

  private static String required(String value, String field) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(field + " is required");
    }
    return value;
  }

  private static String digest(String value, String field) {
    if (value == null || !SHA256_HEX.matcher(value).matches()) {
      throw new IllegalArgumentException(field + " must be a lower-case hex SHA-256 digest");
    }
    return value;
  }
}
