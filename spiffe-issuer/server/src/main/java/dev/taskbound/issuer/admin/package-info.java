/**
 * The admin API under {@code /v1/admin/} (tasks, credentials after their task's end, exposure, controllers, policy in
 * force, approvals) for operators authenticated ({@link dev.taskbound.issuer.admin.AdminAuthenticator}) by a bearer
 * token of the organisation's IdP, a client certificate of an admin CA
 * ({@link dev.taskbound.issuer.admin.AdminCertificates}), or a dashboard session
 * ({@link dev.taskbound.issuer.admin.AdminSessions}) opened by the sign-in through the IdP
 * ({@link dev.taskbound.issuer.admin.OidcLogin}) or, in dev mode only, a one-time login link
 * ({@link dev.taskbound.issuer.admin.DevLogin}). Every action lands in the evidence log with the operator's identity
 * before it takes effect.
 */
package dev.taskbound.issuer.admin;
