/**
 * The client core every CI adapter shares (Jenkins plugin, GitHub Action's Java twin, the {@code taskbound} CLI):
 * task keys generated where the step runs, proofs of possession, and the issuer's task API over the JDK HTTP
 * client. No gRPC, no CLI framework, no Jenkins.
 */
package dev.taskbound.client;
