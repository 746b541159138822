/**
 * Policy as code: CEL rules over the attested context, SPIFFE ID templates, default deny.
 *
 * <p>{@link dev.taskbound.issuer.policy.Policy} is one loaded file (rules compiled once, version = SHA-256 of the
 * bytes); {@link dev.taskbound.issuer.policy.PolicyWatcher} keeps it current; {@link
 * dev.taskbound.issuer.policy.CelPolicyEngine} decides; {@link dev.taskbound.issuer.policy.SpiffeIdTemplate} and
 * {@link dev.taskbound.issuer.policy.SegmentCodec} turn context values into IDs injectively. See docs/policy.md.
 */
package dev.taskbound.issuer.policy;
