import {
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { InvalidJwtSvid, verifyJwtSvid } from './jwt-svid-verifier.js';
import type { WorkloadState } from './workload-state.js';

/** The spec's guard against a workload tricked into proxying a browser's or an SSRF request to the socket. */
export const SECURITY_HEADER = 'workload.spiffe.io';

const ENDED = { code: status.PERMISSION_DENIED, details: "the step's task has ended: it holds no identity" };
const NO_HEADER = { code: status.INVALID_ARGUMENT, details: `security header missing from request: ${SECURITY_HEADER}: true` };

type Message = Record<string, unknown>;
type Render = (s: WorkloadState) => Message;
type Refusal = { code: status; details: string };

/**
 * The Workload API over one task's credentials, as the CLI's WorkloadApiService. Streams get the full state first
 * and again after every `publish`; `redact` ends every stream, and answers every later call, with PermissionDenied:
 * the spec's signal that the workload holds no identity (a response must carry at least one SVID). Calls without
 * the security header get InvalidArgument.
 */
export class WorkloadApiService {
  private readonly streams = new Map<ServerWritableStream<Message, Message>, Render>();
  private redacted = false;

  constructor(private state: WorkloadState) {}

  /** New credentials after a renewal: every open stream gets them. */
  publish(next: WorkloadState): void {
    if (this.redacted) {
      return;
    }
    this.state = next;
    for (const [call, render] of this.streams) {
      send(call, render, next);
    }
  }

  /** The task is over: every open stream ends with PermissionDenied, and so does every later call. */
  redact(): void {
    this.redacted = true;
    for (const call of this.streams.keys()) {
      if (!call.cancelled) {
        call.emit('error', ENDED);
      }
    }
    this.streams.clear();
  }

  /** The handlers, by the method names of workload.proto. */
  implementation(): UntypedServiceImplementation {
    return {
      FetchX509SVID: this.stream((s) => ({
        svids: [{ spiffe_id: s.spiffeId, x509_svid: s.x509SvidDer, x509_svid_key: s.privateKeyDer, bundle: s.bundleDer }],
      })),
      FetchX509Bundles: this.stream((s) => ({ bundles: { [s.trustDomainId]: s.bundleDer } })),
      FetchJWTBundles: this.stream((s) => ({ bundles: { [s.trustDomainId]: s.jwtBundleJson } })),
      FetchJWTSVID: this.unary((request, s) => this.fetchJwtSvid(request, s)),
      ValidateJWTSVID: this.unary((request, s) => validateJwtSvid(request, s)),
    };
  }

  private stream(render: Render) {
    return (call: ServerWritableStream<Message, Message>) => {
      const refusal = this.refusal(call);
      if (refusal !== null) {
        call.emit('error', refusal);
        return;
      }
      call.on('cancelled', () => this.streams.delete(call));
      this.streams.set(call, render);
      send(call, render, this.state);
    };
  }

  private unary(answer: (request: Message, s: WorkloadState) => Message | Refusal) {
    return (call: ServerUnaryCall<Message, Message>, callback: sendUnaryData<Message>) => {
      const refusal = this.refusal(call);
      if (refusal !== null) {
        callback(refusal);
        return;
      }
      const result = answer(call.request, this.state);
      if (isRefusal(result)) {
        callback(result);
      } else {
        callback(null, result);
      }
    };
  }

  private refusal(call: { metadata: { get(key: string): unknown[] } }): Refusal | null {
    if (call.metadata.get(SECURITY_HEADER).at(-1) !== 'true') {
      return NO_HEADER;
    }
    return this.redacted ? ENDED : null;
  }

  private fetchJwtSvid(request: Message, s: WorkloadState): Message | Refusal {
    const asked = request.audience as string[];
    if (asked.length === 0) {
      return { code: status.INVALID_ARGUMENT, details: 'audience must be specified' };
    }
    const spiffeId = request.spiffe_id as string;
    if (spiffeId !== '' && spiffeId !== s.spiffeId) {
      return { code: status.PERMISSION_DENIED, details: `this step holds no SVID for ${spiffeId}` };
    }
    const match = asked.length === 1 ? s.jwtSvids.find((j) => j.audience === asked[0]) : undefined;
    if (match === undefined) {
      // The issuer cannot mint a JWT-SVID for a new audience mid-task; only begin-time audiences work.
      return {
        code: status.PERMISSION_DENIED,
        details:
          `no JWT-SVID for audience ${JSON.stringify(asked)}: this task was begun with audiences ` +
          `${JSON.stringify(s.jwtSvids.map((j) => j.audience))} (one audience per JWT-SVID); list each audience the ` +
          'step needs in the action\'s `audiences` input',
      };
    }
    return { svids: [{ spiffe_id: s.spiffeId, svid: match.token }] };
  }
}

function validateJwtSvid(request: Message, s: WorkloadState): Message | Refusal {
  const audience = request.audience as string;
  const svid = request.svid as string;
  if (audience === '' || svid === '') {
    return { code: status.INVALID_ARGUMENT, details: 'audience and svid must be specified' };
  }
  try {
    const claims = verifyJwtSvid(svid, audience, s.jwtAuthorities, s.trustDomainId, new Date());
    return { spiffe_id: claims.sub, claims: struct(claims) };
  } catch (e) {
    if (e instanceof InvalidJwtSvid) {
      return { code: status.INVALID_ARGUMENT, details: `invalid JWT-SVID: ${e.message}` };
    }
    throw e;
  }
}

function send(call: ServerWritableStream<Message, Message>, render: Render, s: WorkloadState): void {
  if (!call.cancelled) {
    call.write(render(s));
  }
}

function isRefusal(m: Message | Refusal): m is Refusal {
  return typeof m.code === 'number';
}

/** JSON claims as a google.protobuf.Struct (oneof `kind` of each Value set by name). */
function struct(object: Record<string, unknown>): Message {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, value(v)])) };
}

function value(v: unknown): Message {
  if (v === null || v === undefined) {
    return { nullValue: 'NULL_VALUE' };
  }
  if (Array.isArray(v)) {
    return { listValue: { values: v.map(value) } };
  }
  switch (typeof v) {
    case 'object':
      return { structValue: struct(v as Record<string, unknown>) };
    case 'number':
      return { numberValue: v };
    case 'boolean':
      return { boolValue: v };
    default:
      return { stringValue: String(v) };
  }
}
