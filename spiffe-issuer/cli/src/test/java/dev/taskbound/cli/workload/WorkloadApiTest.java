package dev.taskbound.cli.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.cli.LoopbackIssuer;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.SessionOptions;
import dev.taskbound.client.TaskSession;
import dev.taskbound.workload.proto.SpiffeWorkloadAPIGrpc;
import dev.taskbound.workload.proto.Workload.JWTBundlesRequest;
import dev.taskbound.workload.proto.Workload.JWTBundlesResponse;
import dev.taskbound.workload.proto.Workload.JWTSVIDRequest;
import dev.taskbound.workload.proto.Workload.X509BundlesRequest;
import dev.taskbound.workload.proto.Workload.X509BundlesResponse;
import dev.taskbound.workload.proto.Workload.X509SVIDRequest;
import dev.taskbound.workload.proto.Workload.X509SVIDResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.spiffe.bundle.jwtbundle.JwtBundleSet;
import io.spiffe.bundle.x509bundle.X509BundleSet;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.jwtsvid.JwtSvid;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.svid.x509svid.X509SvidValidator;
import io.spiffe.workloadapi.DefaultWorkloadApiClient;
import io.spiffe.workloadapi.DefaultX509Source;
import io.spiffe.workloadapi.Watcher;
import io.spiffe.workloadapi.WorkloadApiClient;
import io.spiffe.workloadapi.X509Context;
import io.spiffe.workloadapi.retry.ExponentialBackoffPolicy;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our Workload API socket, checked from outside by java-spiffe's own client and X.509 source. */
class WorkloadApiTest {
  @TempDir static Path dataDir;
  static LoopbackIssuer issuer;
  static final ScheduledExecutorService SCHEDULER = Executors.newScheduledThreadPool(1);
  static final TrustDomain TD = TrustDomain.parse("taskbound.test");
  static final EpollEventLoopGroup CLIENT_LOOP = new EpollEventLoopGroup(1);

  @BeforeAll
  static void start() throws Exception {
    issuer = LoopbackIssuer.start(dataDir, Duration.ofSeconds(4));
  }

  @AfterAll
  static void stop() {
    issuer.close();
    SCHEDULER.shutdownNow();
    CLIENT_LOOP.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private static TaskSession begin(List<String> audiences) {
    return TaskSession.begin(new IssuerClient(issuer.url()), issuer.devAttestation(),
        SessionOptions.defaults().withAudiences(audiences), Clock.systemUTC(), SCHEDULER);
  }

  @Test
  void javaSpiffeFetchesSeesRotationAndIsDeniedAtEnd() throws Exception {
    TaskSession session = begin(List.of("sts.example"));
    WorkloadApiServer wapi = WorkloadApiServer.start(session, session.directory().file(WorkloadApiServer.SOCKET), Clock.systemUTC());
    List<X509Context> updates = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    try (DefaultX509Source source = DefaultX509Source.newSource(DefaultX509Source.X509SourceOptions.builder()
            .spiffeSocketPath(wapi.endpoint()).initTimeout(Duration.ofSeconds(10)).build());
        // One retry, so a watch that stays denied is reported to the watcher instead of retried for ever.
        WorkloadApiClient client = DefaultWorkloadApiClient.newClient(DefaultWorkloadApiClient.ClientOptions.builder()
            .spiffeSocketPath(wapi.endpoint())
            .exponentialBackoffPolicy(ExponentialBackoffPolicy.builder().initialDelay(Duration.ofMillis(50)).maxRetries(1).build())
            .build())) {
      X509Svid first = source.getX509Svid();
      assertThat(first.getSpiffeId().toString()).isEqualTo(session.spiffeId());
      assertThat(first.getLeaf().getPublicKey()).isEqualTo(session.key().publicKey());
      assertThat(first.getPrivateKey().getEncoded()).isEqualTo(session.key().privateKey().getEncoded());
      X509SvidValidator.verifyChain(first.getChain(), source.getBundleForTrustDomain(TD));

      client.watchX509Context(new Watcher<>() {
        @Override
        public void onUpdate(X509Context update) {
          updates.add(update);
        }

        @Override
        public void onError(Throwable error) {
          errors.add(error);
        }
      });

      // Renewal at half of the 4 s lifetime is pushed to the open stream: a new serial, same key.
      BigInteger firstSerial = first.getLeaf().getSerialNumber();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> !source.getX509Svid().getLeaf().getSerialNumber().equals(firstSerial));
      assertThat(source.getX509Svid().getLeaf().getPublicKey()).isEqualTo(session.key().publicKey());
      await().atMost(Duration.ofSeconds(10)).until(() -> updates.size() >= 2);

      X509BundleSet x509Bundles = client.fetchX509Bundles();
      assertThat(x509Bundles.getBundleForTrustDomain(TD).getX509Authorities()).isNotEmpty();
      JwtBundleSet jwtBundles = client.fetchJwtBundles();
      assertThat(jwtBundles.getBundleForTrustDomain(TD).getJwtAuthorities()).isNotEmpty();

      // The task ends while the socket is still served: the spec's signal for "no identity left" is PermissionDenied,
      // never a response without SVIDs (which java-spiffe reports as a broken response).
      session.end(TaskOutcome.SUCCEEDED, null);
      await().atMost(Duration.ofSeconds(10)).until(() -> errors.stream().anyMatch(e -> causeChain(e).contains("PERMISSION_DENIED")));
      assertThat(errors).allSatisfy(e -> assertThat(causeChain(e)).contains("PERMISSION_DENIED").doesNotContain("empty"));
      assertThat(updates).allSatisfy(u -> assertThat(u.getX509Svids()).isNotEmpty());
      assertThatThrownBy(client::fetchX509Context).satisfies(e -> assertThat(causeChain(e)).contains("PERMISSION_DENIED"));
      assertThatThrownBy(client::fetchX509Bundles).satisfies(e -> assertThat(causeChain(e)).contains("PERMISSION_DENIED"));
      assertThatThrownBy(client::fetchJwtBundles).satisfies(e -> assertThat(causeChain(e)).contains("PERMISSION_DENIED"));
      assertThatThrownBy(() -> client.fetchJwtSvid("sts.example")).satisfies(e -> assertThat(causeChain(e)).contains("PERMISSION_DENIED"));
    } finally {
      wapi.close();
      session.close();
    }
  }

  @Test
  void jwtSvidsForBeginTimeAudiencesAreServedAndValidated() throws Exception {
    TaskSession session = begin(List.of("sts.example", "vault.example"));
    try (WorkloadApiServer wapi = WorkloadApiServer.start(session, session.directory().file(WorkloadApiServer.SOCKET), Clock.systemUTC());
        WorkloadApiClient client = DefaultWorkloadApiClient.newClient(
            DefaultWorkloadApiClient.ClientOptions.builder().spiffeSocketPath(wapi.endpoint()).build())) {
      JwtSvid jwt = client.fetchJwtSvid("vault.example");
      assertThat(jwt.getSpiffeId().toString()).isEqualTo(session.spiffeId());
      assertThat(jwt.getToken()).isEqualTo(session.current().jwtSvidFor("vault.example").orElseThrow().token());
      JwtSvid.parseAndValidate(jwt.getToken(), client.fetchJwtBundles(), java.util.Set.of("vault.example"));

      JwtSvid validated = client.validateJwtSvid(jwt.getToken(), "vault.example");
      assertThat(validated.getSpiffeId().toString()).isEqualTo(session.spiffeId());
      assertThat(validated.getClaims()).containsKey("jti");

      assertThatThrownBy(() -> client.fetchJwtSvid("unknown.example"))
          .satisfies(e -> assertThat(causeChain(e)).contains("PERMISSION_DENIED").contains("--audience"));
      assertThatThrownBy(() -> client.validateJwtSvid(jwt.getToken(), "sts.example"))
          .satisfies(e -> assertThat(causeChain(e)).contains("INVALID_ARGUMENT").contains("audience"));
      String tampered = jwt.getToken().substring(0, jwt.getToken().length() - 4) + "AAAA";
      assertThatThrownBy(() -> client.validateJwtSvid(tampered, "vault.example"))
          .satisfies(e -> assertThat(causeChain(e)).contains("INVALID_ARGUMENT"));
    } finally {
      session.end(TaskOutcome.SUCCEEDED, null);
    }
  }

  @Test
  void everyStreamEndsWithPermissionDeniedAndNoEmptyResponseWhenTheTaskEnds() throws Exception {
    TaskSession session = begin(List.of("sts.example"));
    try (WorkloadApiServer wapi = WorkloadApiServer.start(session, session.directory().file(WorkloadApiServer.SOCKET), Clock.systemUTC())) {
      ManagedChannel channel = rawChannel(wapi);
      try {
        var stub = withSecurityHeader(SpiffeWorkloadAPIGrpc.newBlockingStub(channel));
        Iterator<X509SVIDResponse> x509 = stub.fetchX509SVID(X509SVIDRequest.getDefaultInstance());
        Iterator<X509BundlesResponse> x509Bundles = stub.fetchX509Bundles(X509BundlesRequest.getDefaultInstance());
        Iterator<JWTBundlesResponse> jwtBundles = stub.fetchJWTBundles(JWTBundlesRequest.getDefaultInstance());
        assertThat(x509.next().getSvidsCount()).isEqualTo(1);
        assertThat(x509Bundles.next().getBundlesCount()).isEqualTo(1);
        assertThat(jwtBundles.next().getBundlesCount()).isEqualTo(1);

        session.end(TaskOutcome.SUCCEEDED, null);
        for (Iterator<?> stream : List.of(x509, x509Bundles, jwtBundles)) {
          assertThatThrownBy(stream::hasNext).isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        }
        assertThatThrownBy(() -> stub.fetchX509SVID(X509SVIDRequest.getDefaultInstance()).hasNext())
            .isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
      } finally {
        channel.shutdownNow();
      }
    } finally {
      session.close();
    }
  }

  @Test
  void callsWithoutTheSecurityHeaderAreInvalidArguments() throws Exception {
    TaskSession session = begin(List.of("sts.example"));
    try (WorkloadApiServer wapi = WorkloadApiServer.start(session, session.directory().file(WorkloadApiServer.SOCKET), Clock.systemUTC())) {
      ManagedChannel channel = rawChannel(wapi);
      try {
        var bare = SpiffeWorkloadAPIGrpc.newBlockingStub(channel);
        JWTSVIDRequest req = JWTSVIDRequest.newBuilder().addAudience("sts.example").build();
        assertThatThrownBy(() -> bare.fetchJWTSVID(req))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("workload.spiffe.io");
            });
        assertThat(withSecurityHeader(bare).fetchJWTSVID(req).getSvids(0).getSpiffeId()).isEqualTo(session.spiffeId());
      } finally {
        channel.shutdownNow();
      }
    } finally {
      session.end(TaskOutcome.SUCCEEDED, null);
    }
  }

  /** A plain gRPC channel to the socket, for what the SPIFFE libraries would not send or would hide. */
  private static ManagedChannel rawChannel(WorkloadApiServer wapi) {
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(wapi.socket().toString()))
        .channelType(EpollDomainSocketChannel.class).eventLoopGroup(CLIENT_LOOP).usePlaintext().build();
  }

  private static <S extends AbstractStub<S>> S withSecurityHeader(S stub) {
    Metadata h = new Metadata();
    h.put(Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER), "true");
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
  }

  static String causeChain(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(" | ");
    }
    return sb.toString();
  }
}
