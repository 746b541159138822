package dev.taskbound.cli.workload;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Refuses calls without {@code workload.spiffe.io: true}: the spec's guard against a workload being tricked into
 * proxying a browser's or SSRF request to the socket.
 */
final class SecurityHeaderInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> HEADER = Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!"true".equals(headers.get(HEADER))) {
      call.close(Status.INVALID_ARGUMENT.withDescription("security header missing from request: workload.spiffe.io: true"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
