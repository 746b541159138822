import { connect, type ClientHttp2Session } from 'node:http2';
import { connect as connectUnix } from 'node:net';

/**
 * gRPC written by hand over one HTTP/2 connection to a Unix socket — no gRPC library — so a test sends exactly the
 * metadata it means to (e.g. none). One connection for every call, as a client connected before the task ended.
 */
export class RawGrpcConnection {
  private readonly session: ClientHttp2Session;

  constructor(socket: string) {
    this.session = connect('http://localhost', { createConnection: () => connectUnix(socket) });
    this.session.on('error', () => undefined); // each call reports its own failure
  }

  /** One unary call; resolves with its `grpc-status`. */
  unary(path: string, message: Buffer, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const frame = Buffer.alloc(5 + message.length);
      frame.writeUInt32BE(message.length, 1);
      message.copy(frame, 5);
      const call = this.session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
      let grpcStatus: string | undefined;
      call.on('response', (h) => (grpcStatus ??= h['grpc-status'] as string | undefined)); // a trailers-only answer
      call.on('trailers', (t) => (grpcStatus = t['grpc-status'] as string | undefined));
      call.on('data', () => undefined);
      call.on('error', reject);
      call.on('close', () => (grpcStatus === undefined ? reject(new Error('no grpc-status in the answer')) : resolve(Number(grpcStatus))));
      call.end(frame);
    });
  }

  close(): void {
    this.session.close();
  }
}

/** A protobuf string field: tag (field number, wire type 2), length, UTF-8 bytes. Lengths below 128 only. */
export function stringField(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length >= 128) {
    throw new Error('stringField keeps to one-byte lengths');
  }
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}
