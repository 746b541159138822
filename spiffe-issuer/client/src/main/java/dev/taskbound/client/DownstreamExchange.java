package dev.taskbound.client;

import java.util.ArrayList;
import java.util.List;

/**
 * The exchange half every adapter shares ({@link StepIdentity} for Jenkins, {@link TaskSession} and the shell
 * commands for the CLI): which
 * JWT-SVID audiences a task needs so it can exchange, and the exchange of its issuer-audience JWT-SVID for
 * downstream tokens.
 */
public final class DownstreamExchange {
  private DownstreamExchange() {}

  /** {@code audiences}, plus the issuer's own URL when {@code exchange} names anything and it is not there yet. */
  public static List<String> jwtAudiences(List<String> audiences, List<String> exchange, String issuerUrl) {
    List<String> all = new ArrayList<>(audiences == null ? List.of() : audiences);
    if (exchange != null && !exchange.isEmpty() && !all.contains(issuerUrl)) {
      all.add(issuerUrl);
    }
    return List.copyOf(all);
  }

  /** One downstream token per audience, in order, from the task's JWT-SVID for the issuer; the first refusal throws. */
  public static List<DownstreamToken> exchange(IssuerClient client, Svids svids, List<String> audiences) {
    if (audiences.isEmpty()) {
      return List.of();
    }
    String subject = svids.jwtSvidFor(client.issuerUrl())
        .orElseThrow(() -> new IllegalStateException(
            "the task holds no JWT-SVID for the issuer (" + client.issuerUrl() + ") to exchange"))
        .token();
    List<DownstreamToken> tokens = new ArrayList<>();
    for (String audience : audiences) {
      tokens.add(client.exchange(subject, audience));
    }
    return tokens;
  }
}
