package dev.taskbound.issuer.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The store wrapper's closed {@code operation} and {@code status} tags, closed tag sets, and the cardinality
 * backstop. The exported names themselves are pinned against a running issuer in {@link MetricsApiTest}.
 */
class MetricNamesTest {

  @Test
  void theStoreWrapperTagsEachCallWithItsMethodAndAClosedStatus() {
    IssuerMetrics metrics = new IssuerMetrics();
    Store failing = (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class}, (p, method, args) -> {
      if (method.getName().equals("findTask")) {
        throw new StoreException("database unavailable");
      }
      if (method.getName().equals("bundleSequence")) {
        return 7L;
      }
      throw new IllegalStateException("boom");
    });
    Store metered = metrics.meter(failing);
    assertThat(metered.bundleSequence()).isEqualTo(7L);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> metered.findTask("t")).isInstanceOf(StoreException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> metered.listControllers()).isInstanceOf(IllegalStateException.class);
    Set<String> seen =
        metrics.registry().find(MetricNames.STORE_CALLS).timers().stream()
            .map(t -> t.getId().getTag("operation") + "/" + t.getId().getTag("status") + "/" + t.count())
            .collect(Collectors.toSet());
    assertThat(seen).containsExactlyInAnyOrder("bundleSequence/ok/1", "findTask/store_error/1", "listControllers/error/1");
    // The operation values are exactly Store's methods: a new Store method is a new, documented value.
    assertThat(MeteredStore.operations()).contains("insertTask", "endTask", "recordExchange", "credentialsValidAfterTaskEnd");
    assertThat(MeteredStore.operations()).allMatch(op -> op.matches("[a-z][A-Za-z0-9]*"));
    metrics.close();
  }

  @Test
  void tagValuesOutsideTheClosedSetsCountAsOther() {
    IssuerMetrics metrics = new IssuerMetrics();
    metrics.attestors(Set.of("dev"));
    for (int i = 0; i < 500; i++) {
      metrics.attestationFailed("made-up-" + i, dev.taskbound.issuer.task.TaskObserver.AttestationFailure.UNKNOWN_ATTESTOR);
      metrics.denied("dev", "reason-" + i);
    }
    List<String> attestorValues =
        metrics.registry().find(MetricNames.ATTESTATION_FAILURES).counters().stream().map(c -> c.getId().getTag("attestor")).toList();
    assertThat(attestorValues).containsExactly("other");
    assertThat(metrics.registry().find(MetricNames.POLICY_DENIES).tag("reason", "other").counter().count()).isEqualTo(500);
    metrics.close();
  }

  @Test
  void theBackstopCapsAnyTagKeyAtItsLimit() {
    IssuerMetrics metrics = new IssuerMetrics();
    for (int i = 0; i < MetricNames.MAX_TAG_VALUES + 50; i++) {
      io.micrometer.core.instrument.Counter.builder("taskbound.test.unbounded").tag(MetricNames.OPERATION, "op-" + i)
          .register(metrics.registry()).increment();
    }
    assertThat(metrics.registry().find("taskbound.test.unbounded").counters()).hasSize(MetricNames.MAX_TAG_VALUES);
    metrics.close();
  }
}
