/**
 * The audit report a security team takes to an audit: over a period, task-scoped issuance (tasks, credentials,
 * residual exposure, approvals) against the standing-privilege exceptions that were still open, in Markdown for
 * people and JSON for machines. Reads the store only.
 */
package dev.taskbound.issuer.report;
