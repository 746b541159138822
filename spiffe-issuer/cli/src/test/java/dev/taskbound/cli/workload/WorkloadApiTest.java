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
import dev.taskbound.workload.proto.Workload.JWTSVIDRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
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
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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

  @BeforeAll
  static void start() throws Exception {
    issuer = LoopbackIssuer.start(dataDir, Duration.ofSeconds(4));
  }

  @AfterAll
  static void stop() {
    issuer.close();
    SCHEDULER.shutdownNow();
  }

  private static TaskSession begin(List<String> audiences) {
    return TaskSession.begin(new IssuerClient(issuer.url()), issuer.devAttestation(),
        SessionOptions.defaults().withAudiences(audiences), Clock.systemUTC(), SCHEDULER);
  }

  @Test
  void javaSpiffeFetchesSeesRotationAndSeesTheRedactionAtEnd() throws Exception {
    TaskSession session = begin(List.of("sts.example"));
    WorkloadApiServer wapi = WorkloadApiServer.start(session, session.directory().file(WorkloadApiServer.SOCKET), Clock.systemUTC());
    List<X509Context> updates = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    try (DefaultX509Source source = DefaultX509Source.newSource(DefaultX509Source.X509SourceOptions.builder()
            .spiffeSocketPath(wapi.endpoint()).initTimeout(Duration.ofSeconds(10)).build());
        WorkloadApiClient client = DefaultWorkloadApiClient.newClient(
            DefaultWorkloadApiClient.ClientOptions.builder().spiffeSocketPath(wapi.endpoint()).build())) {
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

      // The step is over: close the socket (redaction first), then end.
      wapi.close();
      await().atMost(Duration.ofSeconds(5)).until(() -> errors.stream().anyMatch(e -> causeChain(e).contains("empty")));
      session.end(TaskOutcome.SUCCEEDED, null);
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
  void callsWithoutTheSecurityHeaderAreInvalidArguments() throws Exception {
    TaskSession session = begin(List.of("sts.example"));
    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    try (WorkloadApiServer wapi = WorkloadApiServer.start(session, session.directory().file(WorkloadApiServer.SOCKET), Clock.systemUTC())) {
      ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(wapi.socket().toString()))
          .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
      try {
        var bare = SpiffeWorkloadAPIGrpc.newBlockingStub(channel);
        JWTSVIDRequest req = JWTSVIDRequest.newBuilder().addAudience("sts.example").build();
        assertThatThrownBy(() -> bare.fetchJWTSVID(req))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("workload.spiffe.io");
            });
        Metadata h = new Metadata();
        h.put(Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER), "true");
        var withHeader = bare.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
        assertThat(withHeader.fetchJWTSVID(req).getSvids(0).getSpiffeId()).isEqualTo(session.spiffeId());
      } finally {
        channel.shutdownNow();
      }
    } finally {
      group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS);
      session.end(TaskOutcome.SUCCEEDED, null);
    }
  }

  static String causeChain(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append(" | ");
    }
    return sb.toString();
  }
}
