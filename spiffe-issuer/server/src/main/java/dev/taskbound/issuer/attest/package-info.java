/**
 * Attestors: verify who is asking and turn it into an {@link dev.taskbound.issuer.attest.AttestedIdentity}.
 * GitHub Actions OIDC ({@code github}), Jenkins run statements signed by a registered controller
 * ({@code jenkins}) and generic OIDC ({@code oidc:<name>}) share one {@link dev.taskbound.issuer.attest.JwtVerifier};
 * single use is enforced through the store's replay cache so it holds across replicas and restarts.
 */
package dev.taskbound.issuer.attest;
