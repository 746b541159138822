package dev.taskbound.issuer.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.evidence.CredentialStatus;
import dev.taskbound.issuer.exceptions.ExceptionsConfig;
import dev.taskbound.issuer.store.ApprovalRecord;
import dev.taskbound.issuer.store.ApprovalState;
import dev.taskbound.issuer.store.AuditRows;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.ExceptionRecord;
import dev.taskbound.issuer.store.ExceptionReview;
import dev.taskbound.issuer.store.ExceptionState;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The audit report of one period (issue 16): task-scoped issuance against standing exceptions. Tasks begun in
 * [from, to) by platform and outcome, their credentials by kind, the residual exposure of those credentials after
 * their task ended (p50 / p90 / max, nearest rank), the approval requests of the period and who approved them, and
 * every standing exception open during the period with its age and its state at the period's end (or now, if that
 * is earlier). Read from the store; JSON ({@link #toJson()}, field names documented in docs/operations.md and
 * stable) and Markdown ({@link #toMarkdown()}) say the same.
 */
public final class AuditReport {
  public static final String FORMAT = "https://taskbound.dev/audit-report/v1";
  /** The outcome columns, active first: every key is always present, so a consumer never meets a missing one. */
  static final List<String> OUTCOMES = outcomes();
  private static final Instant FAR_FUTURE = Instant.ofEpochMilli(Long.MAX_VALUE);

  private final String trustDomain;
  private final Instant from;
  private final Instant to;
  private final Instant asOf;
  private final Instant generatedAt;
  private final Map<String, Long> taskOutcomes = zeroes(OUTCOMES);
  private final Map<String, Map<String, Long>> platforms = new TreeMap<>();
  private long tasks;
  private final Map<CredentialKind, Long> issued = new EnumMap<>(CredentialKind.class);
  private final Exposure exposure = new Exposure();
  private final Map<CredentialKind, Exposure> exposureByKind = new EnumMap<>(CredentialKind.class);
  private long exposurePending;
  private final List<ApprovalRecord> approvals;
  private final List<ExceptionLine> exceptions = new ArrayList<>();
  private long exceptionsAdded;
  private long exceptionsRevoked;
  private long exceptionReviews;

  /** One standing exception as it stood at the report's {@code as_of}. */
  record ExceptionLine(
      ExceptionRecord record, ExceptionState state, Instant expiresAt, ExceptionReview lastReview, Instant revokedAt,
      long ageDays, long reviewsInPeriod) {}

  private AuditReport(String trustDomain, Instant from, Instant to, Instant generatedAt, List<ApprovalRecord> approvals) {
    this.trustDomain = trustDomain;
    this.from = from;
    this.to = to;
    this.generatedAt = generatedAt;
    this.asOf = to.isBefore(generatedAt) ? to : generatedAt;
    this.approvals = approvals;
    for (CredentialKind k : CredentialKind.values()) {
      issued.put(k, 0L);
      exposureByKind.put(k, new Exposure());
    }
  }

  /**
   * Reads the period [{@code from}, {@code to}) from {@code store}; {@code now} is when the report is made.
   * Exception states use {@code rules} (review interval, expiring window).
   */
  public static AuditReport compile(
      Store store, ExceptionsConfig rules, String trustDomain, Instant from, Instant to, Instant now) {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("the period must end after it starts: " + from + " .. " + to);
    }
    AuditReport r = new AuditReport(trustDomain, from, to, now, store.approvalsRequested(from, to));
    store.forEachTaskBegun(from, to, r::countTask);
    store.forEachCredentialOfTasksBegun(from, to, r::countCredential);
    r.readExceptions(store, rules);
    return r;
  }

  private void countTask(AuditRows.Task t) {
    tasks++;
    String outcome = t.state() == TaskState.ACTIVE ? "active" : t.outcome().wire();
    taskOutcomes.merge(outcome, 1L, Long::sum);
    platforms.computeIfAbsent(t.platform(), p -> zeroes(OUTCOMES)).merge(outcome, 1L, Long::sum);
  }

  private void countCredential(AuditRows.Credential c) {
    issued.merge(c.kind(), 1L, Long::sum);
    if (c.taskEndedAt() == null) {
      exposurePending++;
      return;
    }
    // As the task's evidence states it: expiry minus revocation (or the task's end, if never revoked), at least 0.
    Instant cut = c.revokedAt() != null ? c.revokedAt() : c.taskEndedAt();
    long seconds = CredentialStatus.residualExposureSeconds(c.expiresAt().getEpochSecond(), cut.getEpochSecond());
    exposure.add(seconds);
    exposureByKind.get(c.kind()).add(seconds);
  }

  private void readExceptions(Store store, ExceptionsConfig rules) {
    Map<String, List<ExceptionReview>> reviews = new HashMap<>();
    for (ExceptionReview r : store.exceptionReviews(Instant.EPOCH, FAR_FUTURE)) {
      reviews.computeIfAbsent(r.exceptionId(), k -> new ArrayList<>()).add(r);
    }
    List<ExceptionRecord> all = new ArrayList<>(store.listExceptions(Integer.MAX_VALUE));
    all.sort(Comparator.comparing(ExceptionRecord::createdAt).thenComparing(ExceptionRecord::exceptionId));
    for (ExceptionRecord e : all) {
      if (e.createdAt().isAfter(asOf) || !e.createdAt().isBefore(to) || (e.revokedAt() != null && e.revokedAt().isBefore(from))) {
        continue; // not open at any time during the period
      }
      List<ExceptionReview> history = reviews.getOrDefault(e.exceptionId(), List.of());
      ExceptionReview last = null;
      ExceptionReview nextAfter = null;
      long inPeriod = 0;
      for (ExceptionReview r : history) {
        if (!r.reviewedAt().isAfter(asOf)) {
          last = r;
        } else if (nextAfter == null) {
          nextAfter = r;
        }
        if (!r.reviewedAt().isBefore(from) && r.reviewedAt().isBefore(to)) {
          inPeriod++;
        }
      }
      // The expiry then: set by the last review before as_of, else the one the first later review found.
      Instant expiresAt = last != null ? last.expiresAt() : nextAfter != null ? nextAfter.previousExpiresAt() : e.expiresAt();
      Instant revokedAt = e.revokedAt() != null && !e.revokedAt().isAfter(asOf) ? e.revokedAt() : null;
      Instant lastAttested = last != null ? last.reviewedAt() : e.createdAt();
      ExceptionState state =
          ExceptionState.of(revokedAt, expiresAt, lastAttested, asOf, rules.reviewInterval(), rules.expiringWithin());
      long ageDays = Duration.between(e.createdAt(), revokedAt != null ? revokedAt : asOf).toDays();
      exceptions.add(new ExceptionLine(e, state, expiresAt, last, revokedAt, ageDays, inPeriod));
      exceptionReviews += inPeriod;
      if (!e.createdAt().isBefore(from)) {
        exceptionsAdded++;
      }
      if (revokedAt != null && !revokedAt.isBefore(from)) {
        exceptionsRevoked++;
      }
    }
  }

  // ---- JSON -------------------------------------------------------------------------------------------------

  public ObjectNode toJson() {
    ObjectNode root = ApiJson.mapper().createObjectNode();
    root.put("report", FORMAT);
    root.put("generated_at", generatedAt.toString());
    root.put("trust_domain", trustDomain);
    ObjectNode period = root.putObject("period");
    period.put("from", from.toString());
    period.put("to", to.toString());
    period.put("as_of", asOf.toString());

    ObjectNode t = root.putObject("tasks");
    t.put("total", tasks);
    counts(t.putObject("by_outcome"), taskOutcomes);
    ArrayNode byPlatform = t.putArray("by_platform");
    platforms.forEach((platform, outcomes) -> {
      ObjectNode p = byPlatform.addObject();
      p.put("platform", platform);
      p.put("total", outcomes.values().stream().mapToLong(Long::longValue).sum());
      counts(p.putObject("by_outcome"), outcomes);
    });

    ObjectNode c = root.putObject("credentials");
    ObjectNode is = c.putObject("issued");
    is.put("total", issued.values().stream().mapToLong(Long::longValue).sum());
    ObjectNode byKind = is.putObject("by_kind");
    issued.forEach((k, n) -> byKind.put(k.wire(), n));
    ObjectNode re = c.putObject("residual_exposure_seconds");
    exposure.write(re);
    re.put("pending", exposurePending);
    ObjectNode reByKind = re.putObject("by_kind");
    exposureByKind.forEach((k, x) -> x.write(reByKind.putObject(k.wire())));

    ObjectNode a = root.putObject("approvals");
    a.put("total", approvals.size());
    Map<String, Long> byState = new LinkedHashMap<>();
    for (ApprovalState s : ApprovalState.values()) {
      byState.put(s.name().toLowerCase(Locale.ROOT), 0L);
    }
    approvals.forEach(r -> byState.merge(r.state().name().toLowerCase(Locale.ROOT), 1L, Long::sum));
    counts(a.putObject("by_state"), byState);
    ArrayNode approvers = a.putArray("by_approver");
    approverCounts().forEach((name, n) -> approvers.addObject().put("approver", name).put("approvals", n));
    ArrayNode requests = a.putArray("requests");
    for (ApprovalRecord r : approvals) {
      ObjectNode o = requests.addObject();
      o.put("approval_id", r.approvalId());
      o.put("task_id", r.taskId());
      o.put("state", r.state().name().toLowerCase(Locale.ROOT));
      o.put("policy_rule", r.policyRule());
      o.put("approvers", r.approvers());
      o.put("min_approvers", r.minApprovers());
      o.put("requester", r.requester());
      o.putPOJO("approved_by", r.approvedBy());
      o.put("decided_by", r.decidedBy());
      o.put("reason", r.reason());
      o.put("created_at", r.createdAt().toString());
      o.put("decided_at", r.decidedAt() == null ? null : r.decidedAt().toString());
    }

    ObjectNode x = root.putObject("standing_exceptions");
    x.put("total", exceptions.size());
    Map<String, Long> exceptionStates = new LinkedHashMap<>();
    for (ExceptionState s : ExceptionState.values()) {
      exceptionStates.put(s.wire(), 0L);
    }
    exceptions.forEach(l -> exceptionStates.merge(l.state().wire(), 1L, Long::sum));
    counts(x.putObject("by_state"), exceptionStates);
    x.put("added", exceptionsAdded);
    x.put("reviews", exceptionReviews);
    x.put("revoked", exceptionsRevoked);
    ArrayNode list = x.putArray("exceptions");
    for (ExceptionLine l : exceptions) {
      ExceptionRecord e = l.record();
      ObjectNode o = list.addObject();
      o.put("exception_id", e.exceptionId());
      o.put("state", l.state().wire());
      o.put("identity", e.identity());
      o.put("scope", e.scope());
      o.put("owner", e.owner());
      o.put("reason", e.reason());
      o.put("created_at", e.createdAt().toString());
      o.put("created_by", e.createdBy().name());
      o.put("age_days", l.ageDays());
      o.put("expires_at", l.expiresAt().toString());
      o.put("last_reviewed_at", l.lastReview() == null ? null : l.lastReview().reviewedAt().toString());
      o.put("last_reviewed_by", l.lastReview() == null ? null : l.lastReview().reviewedBy().name());
      o.put("reviews_in_period", l.reviewsInPeriod());
      o.put("revoked_at", l.revokedAt() == null ? null : l.revokedAt().toString());
      o.put("revoked_by", l.revokedAt() == null ? null : e.revokedBy().name());
      o.put("revoke_reason", l.revokedAt() == null ? null : e.revokeReason());
    }
    return root;
  }

  // ---- Markdown ---------------------------------------------------------------------------------------------

  public String toMarkdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Taskbound audit report: task-scoped issuance and standing exceptions\n\n");
    md.append("Trust domain `").append(trustDomain).append("` · period ").append(from).append(" to ").append(to)
        .append(" (end excluded) · generated ").append(generatedAt).append(" · exception states as of ").append(asOf)
        .append("\n\n");

    md.append("## Summary\n\n");
    long credentials = issued.values().stream().mapToLong(Long::longValue).sum();
    md.append("- **").append(tasks).append(" tasks** were given task-scoped identities (")
        .append(taskOutcomes.get("active")).append(" still active); **").append(credentials)
        .append(" credentials** were issued to them");
    List<String> kinds = new ArrayList<>();
    issued.forEach((k, n) -> kinds.add(k.wire() + " " + n));
    md.append(" (").append(String.join(", ", kinds)).append(").\n");
    if (exposure.count() == 0) {
      md.append("- Residual exposure: no credential of an ended task in this period.\n");
    } else {
      md.append("- Residual exposure, the validity a credential had left when its task ended (").append(exposure.count())
          .append(" credentials of ended tasks): p50 **").append(exposure.percentile(50)).append(" s**, p90 **")
          .append(exposure.percentile(90)).append(" s**, max **").append(exposure.max()).append(" s**; ")
          .append(exposure.zero()).append(" had none.\n");
    }
    Map<String, Long> approvers = approverCounts();
    md.append("- **").append(approvals.size()).append(" approval requests**");
    if (approvers.isEmpty()) {
      md.append("; nobody approved one.\n");
    } else {
      List<String> who = new ArrayList<>();
      approvers.forEach((name, n) -> who.add(cell(name) + " (" + n + ")"));
      md.append("; approvals by ").append(String.join(", ", who)).append(".\n");
    }
    Map<ExceptionState, Long> states = new EnumMap<>(ExceptionState.class);
    exceptions.forEach(l -> states.merge(l.state(), 1L, Long::sum));
    md.append("- **").append(exceptions.size()).append(" standing exceptions** were open during the period");
    if (!exceptions.isEmpty()) {
      List<String> parts = new ArrayList<>();
      for (ExceptionState s : ExceptionState.values()) {
        parts.add(states.getOrDefault(s, 0L) + " " + s.wire());
      }
      long oldest = exceptions.stream().filter(l -> l.revokedAt() == null).mapToLong(ExceptionLine::ageDays).max().orElse(0);
      md.append(": ").append(String.join(", ", parts)).append(" as of ").append(asOf)
          .append("; the oldest still open is ").append(oldest).append(" days old");
    }
    md.append(".\n\n");

    md.append("## Tasks by platform and outcome\n\n");
    md.append("| platform | total | ").append(String.join(" | ", OUTCOMES)).append(" |\n");
    md.append("|---|---:|").append("---:|".repeat(OUTCOMES.size())).append('\n');
    platforms.forEach((platform, outcomes) -> {
      md.append("| ").append(cell(platform)).append(" | ").append(outcomes.values().stream().mapToLong(Long::longValue).sum());
      OUTCOMES.forEach(o -> md.append(" | ").append(outcomes.get(o)));
      md.append(" |\n");
    });
    md.append("| **all** | **").append(tasks).append("**");
    OUTCOMES.forEach(o -> md.append(" | **").append(taskOutcomes.get(o)).append("**"));
    md.append(" |\n\n");

    md.append("## Credentials and residual exposure\n\n");
    md.append("Residual exposure is `expires_at − revoked_at` (or `− ended_at` if never revoked), at least 0, in seconds: ")
        .append("how long a verifier that checks only the expiry could still accept a copy. Percentiles are nearest-rank. ")
        .append("Credentials of tasks still active, not measured yet: ").append(exposurePending).append(".\n\n");
    md.append("| kind | issued | measured | none left | p50 s | p90 s | max s |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (CredentialKind k : CredentialKind.values()) {
      Exposure x = exposureByKind.get(k);
      md.append("| ").append(k.wire()).append(" | ").append(issued.get(k)).append(" | ").append(x.count()).append(" | ")
          .append(x.zero()).append(" | ").append(x.text(50)).append(" | ").append(x.text(90)).append(" | ").append(x.maxText())
          .append(" |\n");
    }
    md.append("| **all** | **").append(credentials).append("** | **").append(exposure.count()).append("** | **")
        .append(exposure.zero()).append("** | **").append(exposure.text(50)).append("** | **").append(exposure.text(90))
        .append("** | **").append(exposure.maxText()).append("** |\n\n");

    md.append("## Approvals\n\n");
    if (approvals.isEmpty()) {
      md.append("No approval request in this period.\n\n");
    } else {
      md.append("| request | task | rule | requester | state | approved by | denied by |\n|---|---|---|---|---|---|---|\n");
      for (ApprovalRecord r : approvals) {
        md.append("| ").append(r.approvalId()).append(" | ").append(r.taskId()).append(" | ").append(cell(r.policyRule()))
            .append(" | ").append(cell(r.requester())).append(" | ").append(r.state().name().toLowerCase(Locale.ROOT))
            .append(" | ").append(cell(String.join(", ", r.approvedBy()))).append(" | ")
            .append(r.state() == ApprovalState.DENIED ? cell(r.decidedBy()) + ": " + cell(r.reason()) : "").append(" |\n");
      }
      md.append('\n');
    }

    md.append("## Standing exceptions\n\n");
    if (exceptions.isEmpty()) {
      md.append("No standing exception was open during this period.\n");
    } else {
      md.append("In the period: added ").append(exceptionsAdded).append(", reviews ").append(exceptionReviews).append(", revoked ")
          .append(exceptionsRevoked).append(". States as of ").append(asOf).append(".\n\n");
      md.append("| exception | identity | scope | owner | state | created | age (days) | expires | last review | revoked |\n")
          .append("|---|---|---|---|---|---|---:|---|---|---|\n");
      for (ExceptionLine l : exceptions) {
        ExceptionRecord e = l.record();
        md.append("| ").append(e.exceptionId()).append(" | ").append(cell(e.identity())).append(" | ").append(cell(e.scope()))
            .append(" | ").append(cell(e.owner())).append(" | ").append(l.state().wire()).append(" | ").append(e.createdAt())
            .append(" by ").append(cell(e.createdBy().name())).append(" | ").append(l.ageDays()).append(" | ")
            .append(l.expiresAt()).append(" | ")
            .append(l.lastReview() == null ? "never" : l.lastReview().reviewedAt() + " by " + cell(l.lastReview().reviewedBy().name()))
            .append(" | ")
            .append(l.revokedAt() == null ? "" : l.revokedAt() + " by " + cell(e.revokedBy().name()) + ": " + cell(e.revokeReason()))
            .append(" |\n");
      }
    }
    return md.toString();
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  /** Grants per approver over the period's requests, most first, then by name. */
  private Map<String, Long> approverCounts() {
    Map<String, Long> counts = new TreeMap<>();
    approvals.forEach(r -> r.approvedBy().forEach(name -> counts.merge(name, 1L, Long::sum)));
    Map<String, Long> sorted = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    return sorted;
  }

  private static void counts(ObjectNode o, Map<String, Long> counts) {
    counts.forEach(o::put);
  }

  private static Map<String, Long> zeroes(List<String> keys) {
    Map<String, Long> m = new LinkedHashMap<>();
    keys.forEach(k -> m.put(k, 0L));
    return m;
  }

  private static List<String> outcomes() {
    List<String> out = new ArrayList<>();
    out.add("active");
    for (TaskOutcome o : TaskOutcome.values()) {
      out.add(o.wire());
    }
    return List.copyOf(out);
  }

  /** A table cell: pipes escaped, so text cannot break the table (input has no line breaks). */
  private static String cell(String text) {
    return text == null ? "" : text.replace("\\", "\\\\").replace("|", "\\|");
  }

  /**
   * A distribution of whole seconds, kept as counts per value: residual exposure is bounded by credential
   * lifetimes, so a quarter of CI fits in a few thousand entries, and the percentiles are exact.
   */
  static final class Exposure {
    private final TreeMap<Long, Long> counts = new TreeMap<>();
    private long count;

    void add(long seconds) {
      counts.merge(seconds, 1L, Long::sum);
      count++;
    }

    long count() {
      return count;
    }

    long zero() {
      return counts.getOrDefault(0L, 0L);
    }

    /** Nearest rank: the smallest value with at least p % of the values at or below it. */
    long percentile(int p) {
      long rank = Math.max(1, (long) Math.ceil(p / 100.0 * count));
      long seen = 0;
      for (Map.Entry<Long, Long> e : counts.entrySet()) {
        seen += e.getValue();
        if (seen >= rank) {
          return e.getKey();
        }
      }
      throw new IllegalStateException("empty distribution");
    }

    long max() {
      return counts.lastKey();
    }

    String text(int p) {
      return count == 0 ? "–" : Long.toString(percentile(p));
    }

    String maxText() {
      return count == 0 ? "–" : Long.toString(max());
    }

    void write(ObjectNode o) {
      o.put("measured", count);
      o.put("zero", zero());
      if (count == 0) {
        o.putNull("p50");
        o.putNull("p90");
        o.putNull("max");
      } else {
        o.put("p50", percentile(50));
        o.put("p90", percentile(90));
        o.put("max", max());
      }
    }
  }
}
