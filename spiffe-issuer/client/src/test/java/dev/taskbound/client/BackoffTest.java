package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void doublesUpToTheCap() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(700));
    assertThat(b.delayAfter(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(b.delayAfter(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(b.delayAfter(3)).isEqualTo(Duration.ofMillis(400));
    assertThat(b.delayAfter(4)).isEqualTo(Duration.ofMillis(700));
    assertThat(b.delayAfter(1000)).isEqualTo(Duration.ofMillis(700));
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
  }
}
