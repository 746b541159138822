import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Svids } from './issuer-client.js';
import { errorMessage, type SessionListener, type TaskSession } from './task-session.js';
import { WorkloadApiService } from './workload-api-service.js';
import { workloadServiceDefinition } from './workload-proto.js';
import { workloadState, type WorkloadState } from './workload-state.js';

/** The socket's name inside the credential directory (the CLI's too). */
export const WORKLOAD_API_SOCKET = 'agent.sock';
/** sun_path holds 108 bytes on Linux, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;
/** How long open connections may take to close after the redaction before they are cut. */
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Serves the SPIFFE Workload API for one task on a Unix socket, as the CLI's WorkloadApiServer. The socket lives in
 * the task's 0700 directory, so only the step's own user can connect; the step is the one workload, so there is no
 * workload attestation. Rotations are pushed as the session renews; the end of the task is pushed as a redaction.
 */
export class WorkloadApiServer {
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    private readonly service: WorkloadApiService,
    private readonly session: TaskSession,
    private readonly listener: SessionListener,
    readonly socket: string,
  ) {}

  /** Starts serving `session`'s current credentials in its directory; needs the session that began the task. */
  static async start(session: TaskSession, warn: (message: string) => void): Promise<WorkloadApiServer> {
    const svids = session.svids;
    if (session.key === null || svids === null) {
      throw new Error('the Workload API needs the session that began the task');
    }
    const socket = resolve(session.directory.file(WORKLOAD_API_SOCKET));
    if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
      throw new Error(`the Workload API socket path ${socket} is longer than a Unix socket allows (${MAX_SOCKET_PATH} bytes): use a shorter RUNNER_TEMP`);
    }
    const keyDer = session.key.privateKeyDer();
    let bundleJson = await fetchBundle(session, null, warn);
    const service = new WorkloadApiService(workloadState(svids, keyDer, bundleJson));
    const listener: SessionListener = {
      rotated: (fresh: Svids) => {
        void (async () => {
          bundleJson = await fetchBundle(session, bundleJson, warn);
          let next: WorkloadState;
          try {
            next = workloadState(fresh, keyDer, bundleJson);
          } catch (e) {
            warn(`Taskbound: the Workload API keeps the previous SVIDs: ${errorMessage(e)}`);
            return;
          }
          service.publish(next);
        })();
      },
      ended: () => service.redact(),
    };
    const server = new Server();
    server.addService(workloadServiceDefinition(), service.implementation());
    rmSync(socket, { force: true });
    await new Promise<void>((resolveBind, reject) =>
      server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (e) =>
        e ? reject(new Error(`cannot serve the Workload API on ${socket}: ${e.message}`)) : resolveBind(),
      ),
    );
    session.addListener(listener);
    return new WorkloadApiServer(server, service, session, listener, socket);
  }

  /** `unix://<absolute path>`, the form SPIFFE_ENDPOINT_SOCKET takes. */
  get endpoint(): string {
    return `unix://${this.socket}`;
  }

  /** Ends open streams with PermissionDenied (redaction), stops serving and removes the socket. Safe to repeat. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((done) => {
      this.session.removeListener(this.listener);
      this.service.redact();
      const finish = () => {
        clearTimeout(cut);
        rmSync(this.socket, { force: true });
        done();
      };
      const cut = setTimeout(() => {
        this.server.forceShutdown();
        finish();
      }, SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(finish);
    });
    return this.closed;
  }
}

/** The issuer's bundle document; on failure the previous one stays (JWT authorities change rarely). */
async function fetchBundle(session: TaskSession, previous: string | null, warn: (message: string) => void): Promise<string | null> {
  try {
    return await session.client.bundleJson();
  } catch (e) {
    warn(`Taskbound: the Workload API could not fetch the issuer's JWT bundle, keeping the previous one: ${errorMessage(e)}`);
    return previous;
  }
}
