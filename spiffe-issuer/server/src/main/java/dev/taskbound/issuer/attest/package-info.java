/** Attestors: verify who is asking (dev one-time tokens; GitHub, Jenkins and generic OIDC in [2/7]). */
package dev.taskbound.issuer.attest;
