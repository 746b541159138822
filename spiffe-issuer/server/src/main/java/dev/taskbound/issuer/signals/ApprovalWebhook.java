package dev.taskbound.issuer.signals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.config.OperationsConfig;
import dev.taskbound.issuer.store.ApprovalRecord;
import dev.taskbound.issuer.task.ApprovalRequests;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces each new approval request to a webhook (a chat bot pings the approvers): a JSON body with the request
 * id, the approvers' group, the requester, the URL and the expiry, signed with HMAC-SHA256 under a shared secret in
 * {@value #SIGNATURE_HEADER} ({@code sha256=<hex>}, as GitHub signs its webhooks). Delivery runs on its own thread,
 * never in the begin's request; a failure (network, 5xx, 429) is retried with doubling back-off up to
 * {@code max_attempts}, a 4xx is final. In memory only: a restart forgets undelivered announcements (approvers still
 * see every pending request in the dashboard and {@code GET /v1/admin/approvals?state=pending}).
 */
public final class ApprovalWebhook implements ApprovalRequests.Listener, AutoCloseable {
  public static final String SIGNATURE_HEADER = "X-Taskbound-Signature-256";
  public static final String DELIVERY_HEADER = "X-Taskbound-Delivery";
  public static final String EVENT = "approval.requested";
  private static final Logger LOG = LoggerFactory.getLogger(ApprovalWebhook.class);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

  private final OperationsConfig.ApprovalWebhook config;
  private final byte[] secret;
  private final Clock clock;
  private final HttpClient http;
  private final ScheduledExecutorService executor;

  public ApprovalWebhook(OperationsConfig.ApprovalWebhook config, String secret, Clock clock) {
    if (secret == null || secret.isBlank()) {
      throw new IllegalStateException("admin.approval_webhook.secret_env names " + config.secretEnv() + ", which is not set");
    }
    this.config = config;
    this.secret = secret.trim().getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "taskbound-approval-webhook");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void requested(ApprovalRecord request, String url) {
    byte[] body = body(request, url).getBytes(StandardCharsets.UTF_8);
    String delivery = UUID.randomUUID().toString();
    executor.execute(() -> attempt(request.approvalId(), delivery, body, 1));
  }

  /** The announcement: what an approver needs to decide whether to follow the link; never a token. */
  String body(ApprovalRecord r, String url) {
    ObjectNode o = ApiJson.mapper().createObjectNode();
    o.put("type", EVENT);
    o.put("approval_id", r.approvalId());
    o.put("group", r.approvers());
    o.put("min_approvers", r.minApprovers());
    if (r.requester() != null) {
      o.put("requester", r.requester());
    }
    o.put("url", url);
    o.put("expires_at", r.expiresAt().toString());
    o.put("created_at", r.createdAt().toString());
    o.put("policy_rule", r.policyRule());
    o.put("spiffe_id", r.spiffeId());
    ObjectNode context = ApiJson.mapper().createObjectNode();
    for (String key : new String[] {"platform", "repository", "job", "ref", "run_id", "environment"}) {
      String value = r.context().get(key);
      if (value != null) {
        context.put(key, value);
      }
    }
    if (!context.isEmpty()) {
      o.set("context", context);
    }
    o.put("sent_at", clock.instant().toString());
    return o.toString();
  }

  private void attempt(String approvalId, String delivery, byte[] body, int attempt) {
    String outcome;
    boolean retry;
    try {
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(URI.create(config.url()))
                  .timeout(REQUEST_TIMEOUT)
                  .header("Content-Type", "application/json")
                  .header("User-Agent", "taskbound-issuer")
                  .header(DELIVERY_HEADER, delivery)
                  .header(SIGNATURE_HEADER, signature(body))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      int status = response.statusCode();
      if (status / 100 == 2) {
        LOG.info("approval request {} announced to the webhook (attempt {})", approvalId, attempt);
        return;
      }
      outcome = "HTTP " + status;
      retry = status >= 500 || status == 429 || status == 408;
    } catch (IOException e) {
      outcome = "send failed: " + e.getClass().getSimpleName();
      retry = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (!retry || attempt >= config.maxAttempts()) {
      LOG.warn("approval request {} not announced to the webhook after {} attempt(s): {}", approvalId, attempt, outcome);
      return;
    }
    Duration delay = config.initialBackoff().multipliedBy(1L << Math.min(attempt - 1, 20));
    if (delay.compareTo(MAX_BACKOFF) > 0) {
      delay = MAX_BACKOFF;
    }
    LOG.info("approval request {}: webhook attempt {} failed ({}); retrying in {} ms", approvalId, attempt, outcome, delay.toMillis());
    executor.schedule(() -> attempt(approvalId, delivery, body, attempt + 1), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** {@code sha256=} and the hex HMAC-SHA256 of the body under the shared secret. */
  String signature(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
