package dev.taskbound.cli.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.workload.proto.SpiffeWorkloadAPIGrpc;
import dev.taskbound.workload.proto.Workload.JWTBundlesRequest;
import dev.taskbound.workload.proto.Workload.JWTBundlesResponse;
import dev.taskbound.workload.proto.Workload.JWTSVID;
import dev.taskbound.workload.proto.Workload.JWTSVIDRequest;
import dev.taskbound.workload.proto.Workload.JWTSVIDResponse;
import dev.taskbound.workload.proto.Workload.ValidateJWTSVIDRequest;
import dev.taskbound.workload.proto.Workload.ValidateJWTSVIDResponse;
import dev.taskbound.workload.proto.Workload.X509BundlesRequest;
import dev.taskbound.workload.proto.Workload.X509BundlesResponse;
import dev.taskbound.workload.proto.Workload.X509SVID;
import dev.taskbound.workload.proto.Workload.X509SVIDRequest;
import dev.taskbound.workload.proto.Workload.X509SVIDResponse;
import com.nimbusds.jwt.SignedJWT;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Function;

/**
 * The Workload API over one task's credentials. Streams get the full state first and again after every
 * {@link #publish}; {@link #redact()} ends every stream, and answers every later call, with {@code PermissionDenied}:
 * the spec's signal that the workload holds no identity (a response must carry at least one SVID).
 */
final class WorkloadApiService extends SpiffeWorkloadAPIGrpc.SpiffeWorkloadAPIImplBase {
  private static final Status ENDED = Status.PERMISSION_DENIED.withDescription("the step's task has ended: it holds no identity");
  private final Clock clock;
  private final Set<Subscriber<?>> subscribers = new CopyOnWriteArraySet<>();
  private final Object lock = new Object();
  private WorkloadState state;
  private boolean redacted;

  WorkloadApiService(WorkloadState initial, Clock clock) {
    this.state = initial;
    this.clock = clock;
  }

  /** One open stream and how to render the state for it. Sends are serialised: StreamObserver is not thread-safe. */
  private record Subscriber<R>(ServerCallStreamObserver<R> stream, Function<WorkloadState, R> render) {
    void send(WorkloadState s) {
      synchronized (this) {
        if (!stream.isCancelled()) {
          stream.onNext(render.apply(s));
        }
      }
    }

    void deny() {
      synchronized (this) {
        if (!stream.isCancelled()) {
          stream.onError(ENDED.asRuntimeException());
        }
      }
    }
  }

  /** New credentials after a renewal: every open stream gets them. */
  void publish(WorkloadState next) {
    synchronized (lock) {
      if (redacted) {
        return;
      }
      state = next;
      for (Subscriber<?> s : subscribers) {
        s.send(next);
      }
    }
  }

  /** The step is over: every open stream ends with {@code PermissionDenied}. */
  void redact() {
    synchronized (lock) {
      redacted = true;
      for (Subscriber<?> s : subscribers) {
        s.deny();
      }
      subscribers.clear();
    }
  }

  @Override
  public void fetchX509SVID(X509SVIDRequest request, StreamObserver<X509SVIDResponse> observer) {
    subscribe(observer, WorkloadApiService::x509Response);
  }

  @Override
  public void fetchX509Bundles(X509BundlesRequest request, StreamObserver<X509BundlesResponse> observer) {
    subscribe(observer, s -> X509BundlesResponse.newBuilder().putBundles(s.trustDomainId(), s.bundleDer()).build());
  }

  @Override
  public void fetchJWTBundles(JWTBundlesRequest request, StreamObserver<JWTBundlesResponse> observer) {
    subscribe(observer, s -> JWTBundlesResponse.newBuilder().putBundles(s.trustDomainId(), s.jwtBundleJson()).build());
  }

  @Override
  public void fetchJWTSVID(JWTSVIDRequest request, StreamObserver<JWTSVIDResponse> observer) {
    WorkloadState s = current(observer);
    if (s == null) {
      return;
    }
    if (request.getAudienceCount() == 0) {
      observer.onError(Status.INVALID_ARGUMENT.withDescription("audience must be specified").asRuntimeException());
      return;
    }
    if (!request.getSpiffeId().isEmpty() && !request.getSpiffeId().equals(s.spiffeId())) {
      observer.onError(Status.PERMISSION_DENIED.withDescription("this step holds no SVID for " + request.getSpiffeId()).asRuntimeException());
      return;
    }
    List<String> asked = request.getAudienceList();
    JwtSvidCredential match = asked.size() == 1
        ? s.jwtSvids().stream().filter(j -> j.audience().equals(asked.get(0))).findFirst().orElse(null)
        : null;
    if (match == null) {
      // The issuer has no endpoint yet to mint a JWT-SVID for a new audience mid-task; only begin-time audiences work.
      observer.onError(Status.PERMISSION_DENIED.withDescription(
              "no JWT-SVID for audience " + asked + ": this task was begun with audiences "
                  + s.jwtSvids().stream().map(JwtSvidCredential::audience).toList()
                  + " (one audience per JWT-SVID); pass --audience to taskbound run for each audience the step needs")
          .asRuntimeException());
      return;
    }
    observer.onNext(JWTSVIDResponse.newBuilder()
        .addSvids(JWTSVID.newBuilder().setSpiffeId(s.spiffeId()).setSvid(match.token()))
        .build());
    observer.onCompleted();
  }

  @Override
  public void validateJWTSVID(ValidateJWTSVIDRequest request, StreamObserver<ValidateJWTSVIDResponse> observer) {
    WorkloadState s = current(observer);
    if (s == null) {
      return;
    }
    if (request.getAudience().isEmpty() || request.getSvid().isEmpty()) {
      observer.onError(Status.INVALID_ARGUMENT.withDescription("audience and svid must be specified").asRuntimeException());
      return;
    }
    SignedJWT jwt;
    try {
      jwt = JwtSvidVerifier.verify(request.getSvid(), request.getAudience(), s.jwtKeys(), s.trustDomainId(), clock.instant());
    } catch (JwtSvidVerifier.InvalidJwtSvid e) {
      observer.onError(Status.INVALID_ARGUMENT.withDescription("invalid JWT-SVID: " + e.getMessage()).asRuntimeException());
      return;
    }
    Struct claims;
    try {
      claims = toStruct(ApiJson.mapper().readTree(jwt.getPayload().toString()));
    } catch (IOException e) {
      observer.onError(Status.INVALID_ARGUMENT.withDescription("invalid JWT-SVID: claims are not JSON").asRuntimeException());
      return;
    }
    observer.onNext(ValidateJWTSVIDResponse.newBuilder().setSpiffeId(claims.getFieldsOrThrow("sub").getStringValue()).setClaims(claims).build());
    observer.onCompleted();
  }

  private <R> void subscribe(StreamObserver<R> observer, Function<WorkloadState, R> render) {
    ServerCallStreamObserver<R> stream = (ServerCallStreamObserver<R>) observer;
    Subscriber<R> sub = new Subscriber<>(stream, render);
    synchronized (lock) {
      if (redacted) {
        stream.onError(ENDED.asRuntimeException());
        return;
      }
      stream.setOnCancelHandler(() -> subscribers.remove(sub));
      subscribers.add(sub);
      sub.send(state);
    }
  }

  private WorkloadState current(StreamObserver<?> observer) {
    synchronized (lock) {
      if (redacted) {
        observer.onError(ENDED.asRuntimeException());
        return null;
      }
      return state;
    }
  }

  private static X509SVIDResponse x509Response(WorkloadState s) {
    return X509SVIDResponse.newBuilder()
        .addSvids(X509SVID.newBuilder()
            .setSpiffeId(s.spiffeId())
            .setX509Svid(s.x509SvidDer())
            .setX509SvidKey(s.privateKeyDer())
            .setBundle(s.bundleDer()))
        .build();
  }

  private static Struct toStruct(JsonNode object) {
    Struct.Builder b = Struct.newBuilder();
    for (Map.Entry<String, JsonNode> f : object.properties()) {
      b.putFields(f.getKey(), toValue(f.getValue()));
    }
    return b.build();
  }

  private static Value toValue(JsonNode n) {
    if (n.isObject()) {
      return Value.newBuilder().setStructValue(toStruct(n)).build();
    }
    if (n.isArray()) {
      ListValue.Builder l = ListValue.newBuilder();
      n.forEach(e -> l.addValues(toValue(e)));
      return Value.newBuilder().setListValue(l).build();
    }
    if (n.isNumber()) {
      return Value.newBuilder().setNumberValue(n.asDouble()).build();
    }
    if (n.isBoolean()) {
      return Value.newBuilder().setBoolValue(n.asBoolean()).build();
    }
    if (n.isNull()) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    return Value.newBuilder().setStringValue(n.asText()).build();
  }
}
