package dev.taskbound.cli.workload;

import dev.taskbound.client.EndResult;
import dev.taskbound.client.Svids;
import dev.taskbound.client.SvidListener;
import dev.taskbound.client.TaskSession;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * Serves the SPIFFE Workload API for one task on a Unix socket. The socket lives in the step's 0700 directory,
 * so only the step's own user can connect; the step is the one workload, so there is no workload attestation.
 * Linux only (Netty epoll).
 */
public final class WorkloadApiServer implements AutoCloseable {
  /** The socket's name inside the credential directory. */
  public static final String SOCKET = "agent.sock";

  private final Path socket;
  private final Server server;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final WorkloadApiService service;
  private final TaskSession session;
  private final SvidListener listener;

  private WorkloadApiServer(Path socket, Server server, EventLoopGroup boss, EventLoopGroup workers, WorkloadApiService service,
      TaskSession session, SvidListener listener) {
    this.socket = socket;
    this.server = server;
    this.boss = boss;
    this.workers = workers;
    this.service = service;
    this.session = session;
    this.listener = listener;
  }

  /** Starts serving {@code session}'s credentials on {@code socket}; rotations are pushed as they happen. */
  public static WorkloadApiServer start(TaskSession session, Path socket, Clock clock) {
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException("the Workload API needs Linux (Netty epoll): " + Epoll.unavailabilityCause());
    }
    byte[] key = session.key().privateKey().getEncoded();
    WorkloadApiService service = new WorkloadApiService(WorkloadState.of(session.current(), key), clock);
    SvidListener listener = new SvidListener() {
      @Override
      public void rotated(Svids svids) {
        service.publish(WorkloadState.of(svids, key));
      }

      @Override
      public void ended(EndResult result) {
        service.redact();
      }
    };
    EventLoopGroup boss = new EpollEventLoopGroup(1);
    EventLoopGroup workers = new EpollEventLoopGroup(2);
    try {
      Files.deleteIfExists(socket);
      Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
          .channelType(EpollServerDomainSocketChannel.class)
          .bossEventLoopGroup(boss)
          .workerEventLoopGroup(workers)
          // gRPC sets SO_KEEPALIVE on every accepted channel; a Unix socket has none, and Netty would warn on each
          // connection into the step's log. A null value removes the option.
          .withChildOption(ChannelOption.SO_KEEPALIVE, null)
          .addService(ServerInterceptors.intercept(service, new SecurityHeaderInterceptor()))
          .build()
          .start();
      session.addListener(listener);
      return new WorkloadApiServer(socket, server, boss, workers, service, session, listener);
    } catch (IOException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new UncheckedIOException("cannot serve the Workload API on " + socket, e);
    }
  }

  public Path socket() {
    return socket;
  }

  /** {@code unix://<absolute path>}, the form {@code SPIFFE_ENDPOINT_SOCKET} takes. */
  public String endpoint() {
    return "unix://" + socket.toAbsolutePath();
  }

  /** Ends open streams with {@code PermissionDenied} (redaction), stops serving and removes the socket. Safe to repeat. */
  @Override
  public void close() {
    session.removeListener(listener);
    service.redact();
    server.shutdown();
    try {
      if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
        server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    } finally {
      boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      try {
        Files.deleteIfExists(socket);
      } catch (IOException ignored) {
        // The directory wipe at task end removes it.
      }
    }
  }
}
