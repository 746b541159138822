/**
 * The evidence log: RFC 6962 Merkle log of canonical-JSON events ({@link dev.taskbound.issuer.evidence.Event}),
 * durably appended before credentials are released ({@link dev.taskbound.issuer.evidence.EvidenceLog}, which joins
 * the store writer's batches: a task and its evidence commit in one transaction, one signed checkpoint per batch), C2SP signed-note checkpoints that only ever extend each other, and
 * per-task DSSE/in-toto bundles and revocation receipts. The formats and verification live in the client module
 * ({@code dev.taskbound.client.evidence}) so the issuer signs exactly what outsiders check.
 */
package dev.taskbound.issuer.evidence;
