/**
 * The admin API under {@code /v1/admin/} (tasks, credentials after their task's end, controllers, policy in force)
 * for operators authenticated by the organisation's IdP ({@link dev.taskbound.issuer.admin.AdminAuthenticator}) or,
 * in dev mode only, by a one-time login link ({@link dev.taskbound.issuer.admin.DevLogin}). Every action lands in the
 * evidence log with the operator's identity before it takes effect.
 */
package dev.taskbound.issuer.admin;
