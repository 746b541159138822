/**
 * The per-step SPIFFE Workload API: gRPC on a Unix socket inside the step's private directory, serving the
 * task's SVIDs and bundles from a {@link dev.taskbound.client.TaskSession}, pushing rotations to open streams and
 * a redaction at the end. Stubs are generated from {@code spiffe-issuer/api/src/main/proto/workload.proto}.
 */
package dev.taskbound.cli.workload;
