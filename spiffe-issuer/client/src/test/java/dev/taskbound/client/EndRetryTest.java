package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndRetryTest {
  /** A clock that moves only when the retry loop sleeps. */
  static final class SteppingClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void unreachableIssuerIsRetriedWithBackoffUntilTheWindowClosesThenReported() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    SteppingClock clock = new SteppingClock();
    List<Duration> sleeps = new ArrayList<>();
    IssuerClient client = new IssuerClient("http://127.0.0.1:" + deadPort);
    EndRetry retry = new EndRetry(client, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)), Duration.ofSeconds(30), clock, d -> {
      sleeps.add(d);
      clock.now = clock.now.plus(d);
    });

    EndResult r = retry.end("tsk_x", "tbct_x", "failed", null);

    assertThat(r.ended()).isFalse();
    assertThat(r.failure().retryable()).isTrue();
    assertThat(sleeps).containsExactly(
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8), Duration.ofSeconds(8));
    assertThat(r.attempts()).isEqualTo(6);
    assertThat(r.failure().getMessage()).doesNotContain("tbct_x");
  }
}
