package dev.taskbound.issuer.metrics;

import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.StoreException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link Store} that counts and times every call of the store it wraps, as SPIRE's datastore telemetry wrapper
 * does: {@value MetricNames#STORE_CALLS} with {@code operation} = the interface method's name (a closed set: the
 * methods of {@link Store}) and {@code status} = {@code ok}, {@code store_error} or {@code error}. A proxy rather
 * than a hand-written class, so a method added to {@code Store} is measured without touching this file (the
 * pinning test lists the operations).
 */
public final class MeteredStore implements InvocationHandler {
  private final Store target;
  private final MeterRegistry registry;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  private MeteredStore(Store target, MeterRegistry registry) {
    this.target = target;
    this.registry = registry;
  }

  public static Store wrap(Store target, MeterRegistry registry) {
    return (Store)
        Proxy.newProxyInstance(
            Store.class.getClassLoader(), new Class<?>[] {Store.class}, new MeteredStore(target, registry));
  }

  /** The {@code operation} values the wrapper can produce: the names of {@link Store}'s methods. */
  public static Set<String> operations() {
    Set<String> names = new TreeSet<>();
    for (Method m : Store.class.getMethods()) {
      if (m.getDeclaringClass() == Store.class) {
        names.add(m.getName());
      }
    }
    return names;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return switch (method.getName()) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        default -> "MeteredStore(" + target + ")";
      };
    }
    long start = System.nanoTime();
    String status = MetricNames.OK;
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      status = cause instanceof StoreException ? MetricNames.STORE_ERROR : MetricNames.ERROR;
      throw cause;
    } finally {
      timer(method.getName(), status).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  private Timer timer(String operation, String status) {
    return timers.computeIfAbsent(
        operation + ' ' + status,
        k -> Timer.builder(MetricNames.STORE_CALLS)
            .description("Store calls by method and outcome")
            .tag(MetricNames.OPERATION, operation)
            .tag(MetricNames.STATUS, status)
            .register(registry));
  }
}
