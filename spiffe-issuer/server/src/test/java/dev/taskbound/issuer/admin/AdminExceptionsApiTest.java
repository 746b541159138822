package dev.taskbound.issuer.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.sun.net.httpserver.HttpServer;
import dev.taskbound.api.ApiJson;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.ConsistencyProof;
import dev.taskbound.client.evidence.MerkleProofs;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.client.evidence.TreeHash;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.cli.IssuerCli;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.signals.ExceptionSignals;
import dev.taskbound.issuer.testing.MutableClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The standing-privilege exception register end to end on a real issuer (SQLite, loopback HTTP, a stand-in IdP
 * with real RS256 tokens, a Shared Signals receiver): operators add, review and revoke through the admin API and
 * the operator CLI; bad input and expiries beyond the maximum change nothing; every change is in the evidence log,
 * which still verifies against its signed checkpoints; expired and unreviewed exceptions show in the metric and are
 * signalled once. Time moves with an injected clock; the register's rules are shortened (2h / 30m / 10m) to match.
 */
class AdminExceptionsApiTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String AUDIENCE = "https://receiver.example/ssf";
  private static final Pattern METRIC = Pattern.compile("^taskbound_standing_exceptions\\{state=\"(\\w+)\",?\\} (\\S+)$", Pattern.MULTILINE);
  static StandInIdp idp;

  @TempDir Path dir;
  MutableClock clock;
  Issuer issuer;
  HttpServer receiver;
  final List<String> received = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startIdp() throws Exception {
    idp = new StandInIdp();
  }

  @AfterAll
  static void stopIdp() {
    idp.close();
  }

  @BeforeEach
  void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/events", exchange -> {
      received.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      exchange.sendResponseHeaders(202, -1);
      exchange.close();
    });
    receiver.start();
    clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Files.writeString(
        config(),
        idp.devIssuerConfig(dir.resolve("data"), "{sre: operator, eng: viewer, sec: approver}", "roles_claim: groups")
            + String.join("\n",
            "signals:",
            "  initial_backoff: 100ms",
            "  receivers:",
            "    - url: http://127.0.0.1:" + receiver.getAddress().getPort() + "/events",
            "      audience: " + AUDIENCE,
            "exceptions:",
            "  max_lifetime: 2h",
            "  review_interval: 30m",
            "  expiring_within: 10m",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config()), clock);
  }

  @AfterEach
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
    receiver.stop(0);
  }

  private Path config() {
    return dir.resolve("issuer.yaml");
  }

  // ---- through the admin API ---------------------------------------------------------------------------------

  @Test
  void anOperatorAddsReviewsAndRevokesAndEachChangeIsInTheLogWhichStillVerifies() throws Exception {
    Checkpoint before = checkpoint();
    String alice = token("alice@example.com", "sre");
    Instant expires = clock.instant().plus(Duration.ofMinutes(90));

    HttpResponse<String> created = send("POST", "/v1/admin/exceptions", alice, addBody("deploy-bot", expires));
    JsonNode added = json(created, 201);
    String id = added.get("exception_id").asText();
    assertThat(id).matches("exc_[a-z2-7]{26}");
    assertThat(created.headers().firstValue("Location")).hasValue("/v1/admin/exceptions/" + id);
    assertThat(created.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(added.get("state").asText()).isEqualTo("active");
    assertThat(added.get("identity").asText()).isEqualTo("AWS IAM user deploy-bot");
    assertThat(added.get("owner").asText()).isEqualTo("platform-team");
    assertThat(added.get("created_by").asText()).isEqualTo("alice@example.com");
    assertThat(added.get("created_by_issuer").asText()).isEqualTo(idp.issuer);
    assertThat(Instant.parse(added.get("expires_at").asText())).isEqualTo(expires);
    assertThat(Instant.parse(added.get("review_due_at").asText())).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));

    String viewer = token("vera@example.com", "eng");
    JsonNode listed = json(send("GET", "/v1/admin/exceptions", viewer, null), 200);
    assertThat(listed.get("exceptions").findValuesAsText("exception_id")).containsExactly(id);
    assertThat(listed.get("counts").get("active").asLong()).isEqualTo(1);
    assertThat(listed.get("rules").get("max_lifetime").asText()).isEqualTo("2h");
    assertThat(json(send("GET", "/v1/admin/exceptions/" + id, viewer, null), 200).get("exception_id").asText()).isEqualTo(id);

    clock.advance(Duration.ofMinutes(5));
    String bob = token("bob@example.com", "sre");
    JsonNode reviewed =
        json(send("POST", "/v1/admin/exceptions/" + id + "/review", bob, "{\"note\":\"still signing releases; migration in Q3\"}"), 200);
    assertThat(reviewed.get("last_reviewed_by").asText()).isEqualTo("bob@example.com");
    assertThat(reviewed.get("last_review_note").asText()).isEqualTo("still signing releases; migration in Q3");
    assertThat(Instant.parse(reviewed.get("review_due_at").asText())).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));

    JsonNode revoked = json(send("POST", "/v1/admin/exceptions/" + id + "/revoke", alice, "{\"reason\":\"key deleted\"}"), 200);
    assertThat(revoked.get("state").asText()).isEqualTo("revoked");
    assertThat(revoked.get("revoked_by").asText()).isEqualTo("alice@example.com");
    assertThat(revoked.get("revoke_reason").asText()).isEqualTo("key deleted");
    assertThat(revoked.has("review_due_at")).isFalse();
    assertThat(problem(send("POST", "/v1/admin/exceptions/" + id + "/revoke", alice, "{\"reason\":\"again\"}"), 409)).isEqualTo("exception-not-open");
    assertThat(problem(send("POST", "/v1/admin/exceptions/" + id + "/review", alice, "{}"), 409)).isEqualTo("exception-not-open");
    assertThat(problem(send("GET", "/v1/admin/exceptions/exc_" + "a".repeat(26), viewer, null), 404)).isEqualTo("not-found");

    // The log: each change once, naming who made it, as the IdP vouched for them.
    List<JsonNode> events = exceptionEvents(before.size());
    assertThat(events).extracting(e -> e.get("type").asText()).containsExactly("exception.added", "exception.reviewed", "exception.revoked");
    assertThat(events).allSatisfy(e -> {
      assertThat(e.get("exception_id").asText()).isEqualTo(id);
      assertThat(e.get("operator_issuer").asText()).isEqualTo(idp.issuer);
      assertThat(e.get("role").asText()).isEqualTo("operator");
      assertThat(e.has("task_id")).isFalse();
    });
    assertThat(events).extracting(e -> e.get("operator").asText()).containsExactly("alice@example.com", "bob@example.com", "alice@example.com");
    assertThat(events.get(0).get("expires_at").asLong()).isEqualTo(expires.getEpochSecond());
    assertThat(events.get(0).get("owner").asText()).isEqualTo("platform-team");
    assertThat(events.get(1).get("note").asText()).isEqualTo("still signing releases; migration in Q3");
    assertThat(events.get(2).get("reason").asText()).isEqualTo("key deleted");
    logVerifiesFrom(before);
  }

  @Test
  void anExpiryBeyondTheMaximumAndBadInputAreRefusedAndChangeNothing() throws Exception {
    String alice = token("alice@example.com", "sre");
    String id = json(send("POST", "/v1/admin/exceptions", alice, addBody("break-glass", clock.instant().plus(Duration.ofHours(1)))), 201)
        .get("exception_id").asText();
    Checkpoint before = checkpoint();
    JsonNode registerBefore = json(send("GET", "/v1/admin/exceptions", alice, null), 200);

    HttpResponse<String> tooFar = send("POST", "/v1/admin/exceptions", alice, addBody("x", clock.instant().plus(Duration.ofHours(2)).plusSeconds(1)));
    assertThat(problem(tooFar, 400)).isEqualTo("expiry-beyond-maximum");
    assertThat(ApiJson.mapper().readTree(tooFar.body()).get("detail").asText())
        .contains("exceptions.max_lifetime (2h)")
        .contains(clock.instant().plus(Duration.ofHours(2)).toString());
    assertThat(problem(send("POST", "/v1/admin/exceptions/" + id + "/review", alice,
        "{\"expires_at\":\"" + clock.instant().plus(Duration.ofHours(3)) + "\"}"), 400)).isEqualTo("expiry-beyond-maximum");

    String future = clock.instant().plus(Duration.ofHours(1)).toString();
    Map<String, String> bad =
        Map.of(
            "no expiry", "{\"identity\":\"i\",\"scope\":\"s\",\"owner\":\"o\",\"reason\":\"r\"}",
            "no owner", "{\"identity\":\"i\",\"scope\":\"s\",\"reason\":\"r\",\"expires_at\":\"" + future + "\"}",
            "blank reason", "{\"identity\":\"i\",\"scope\":\"s\",\"owner\":\"o\",\"reason\":\"  \",\"expires_at\":\"" + future + "\"}",
            "expiry in the past", addBody("i", clock.instant().minusSeconds(1)),
            "not a time", "{\"identity\":\"i\",\"scope\":\"s\",\"owner\":\"o\",\"reason\":\"r\",\"expires_at\":\"next tuesday\"}",
            "misspelt field", "{\"identity\":\"i\",\"scope\":\"s\",\"owner\":\"o\",\"reason\":\"r\",\"expires\":\"" + future + "\"}",
            "a line break", "{\"identity\":\"i\\nj\",\"scope\":\"s\",\"owner\":\"o\",\"reason\":\"r\",\"expires_at\":\"" + future + "\"}",
            "too long", "{\"identity\":\"" + "i".repeat(1025) + "\",\"scope\":\"s\",\"owner\":\"o\",\"reason\":\"r\",\"expires_at\":\"" + future + "\"}",
            "not an object", "[1,2]",
            "not JSON", "{identity:");
    bad.forEach((what, body) -> {
      try {
        assertThat(problem(send("POST", "/v1/admin/exceptions", alice, body), 400)).as(what).isEqualTo("malformed-request");
      } catch (Exception e) {
        throw new AssertionError(what, e);
      }
    });
    assertThat(problem(send("POST", "/v1/admin/exceptions/" + id + "/revoke", alice, "{}"), 400)).isEqualTo("malformed-request");
    assertThat(problem(send("POST", "/v1/admin/exceptions/" + id + "/review", alice, "{\"notes\":\"typo\"}"), 400)).isEqualTo("malformed-request");
    assertThat(problem(send("GET", "/v1/admin/exceptions?state=forgotten", alice, null), 400)).isEqualTo("malformed-request");
    assertThat(problem(send("POST", "/v1/admin/exceptions/" + id, alice, "{}"), 405)).isEqualTo("method-not-allowed");

    assertThat(json(send("GET", "/v1/admin/exceptions", alice, null), 200)).isEqualTo(registerBefore);
    assertThat(checkpoint().size()).as("nothing logged").isEqualTo(before.size());
  }

  @Test
  void onlyOperatorsChangeTheRegisterAndEveryRoleReadsIt() throws Exception {
    String alice = token("alice@example.com", "sre");
    String id = json(send("POST", "/v1/admin/exceptions", alice, addBody("deploy-bot", clock.instant().plus(Duration.ofHours(1)))), 201)
        .get("exception_id").asText();
    JsonNode registerBefore = json(send("GET", "/v1/admin/exceptions", alice, null), 200);

    for (String reader : List.of(token("vera@example.com", "eng"), token("sam@example.com", "sec"))) {
      assertThat(problem(send("POST", "/v1/admin/exceptions", reader, addBody("x", clock.instant().plus(Duration.ofHours(1)))), 403))
          .isEqualTo("forbidden");
      assertThat(problem(send("POST", "/v1/admin/exceptions/" + id + "/review", reader, "{}"), 403)).isEqualTo("forbidden");
      assertThat(problem(send("POST", "/v1/admin/exceptions/" + id + "/revoke", reader, "{\"reason\":\"r\"}"), 403)).isEqualTo("forbidden");
      assertThat(json(send("GET", "/v1/admin/exceptions", reader, null), 200)).isEqualTo(registerBefore);
    }
    assertThat(problem(send("GET", "/v1/admin/exceptions", null, null), 401)).isEqualTo("not-authenticated");
    assertThat(problem(send("POST", "/v1/admin/exceptions", "forged", addBody("x", clock.instant().plusSeconds(60))), 401))
        .isEqualTo("not-authenticated");
    assertThat(json(send("GET", "/v1/admin/exceptions", alice, null), 200)).isEqualTo(registerBefore);
  }

  @Test
  void expiredAndUnreviewedExceptionsShowInTheMetricAndAreSignalledOnce() throws Exception {
    String alice = token("alice@example.com", "sre");
    Instant t0 = clock.instant();
    String kept = json(send("POST", "/v1/admin/exceptions", alice, addBody("deploy-bot", t0.plus(Duration.ofMinutes(50)))), 201)
        .get("exception_id").asText();
    String shortLived = json(send("POST", "/v1/admin/exceptions", alice, addBody("break-glass", t0.plus(Duration.ofMinutes(15)))), 201)
        .get("exception_id").asText();
    assertThat(metric()).isEqualTo(Map.of("active", 2.0, "expiring", 0.0, "expired", 0.0, "unreviewed", 0.0));

    clock.advance(Duration.ofMinutes(6));
    assertThat(metric()).isEqualTo(Map.of("active", 1.0, "expiring", 1.0, "expired", 0.0, "unreviewed", 0.0));
    assertThat(state(shortLived)).isEqualTo("expiring");

    // 31 minutes in: one expired without being revoked, the other went 30 minutes without a review.
    clock.advance(Duration.ofMinutes(25));
    assertThat(metric()).isEqualTo(Map.of("active", 0.0, "expiring", 0.0, "expired", 1.0, "unreviewed", 1.0));
    assertThat(state(kept)).isEqualTo("unreviewed");
    assertThat(state(shortLived)).isEqualTo("expired");
    String viewer = token("vera@example.com", "eng");
    assertThat(json(send("GET", "/v1/admin/exceptions?state=expired", viewer, null), 200).get("exceptions").findValuesAsText("exception_id"))
        .containsExactly(shortLived);

    issuer.sweepStandingExceptions();
    issuer.sweepStandingExceptions();
    await().atMost(20, TimeUnit.SECONDS).until(() -> distinct().size() >= 2);
    issuer.sweepStandingExceptions();
    Thread.sleep(1500); // a second signal, if there were one, would have been pushed by now
    List<JWTClaimsSet> sets = new ArrayList<>();
    for (String set : distinct()) {
      sets.add(verified(set));
    }
    assertThat(sets).hasSize(2);
    assertThat(sets).anySatisfy(c -> signalled(c, ExceptionSignals.EXPIRED, shortLived, "expired"));
    assertThat(sets).anySatisfy(c -> signalled(c, ExceptionSignals.UNREVIEWED, kept, "unreviewed"));

    // Acting on them: a review brings one back; the expired one needs a new expiry or a revocation.
    String bob = token("bob@example.com", "sre");
    assertThat(json(send("POST", "/v1/admin/exceptions/" + kept + "/review", bob, "{\"note\":\"checked\"}"), 200).get("state").asText())
        .isEqualTo("active");
    assertThat(problem(send("POST", "/v1/admin/exceptions/" + shortLived + "/review", bob, "{}"), 409)).isEqualTo("exception-not-open");
    JsonNode renewed =
        json(send("POST", "/v1/admin/exceptions/" + shortLived + "/review", bob,
            "{\"expires_at\":\"" + clock.instant().plus(Duration.ofHours(1)) + "\"}"), 200);
    assertThat(renewed.get("state").asText()).isEqualTo("active");
    assertThat(metric()).isEqualTo(Map.of("active", 2.0, "expiring", 0.0, "expired", 0.0, "unreviewed", 0.0));
    json(send("POST", "/v1/admin/exceptions/" + shortLived + "/revoke", bob, "{\"reason\":\"account disabled\"}"), 200);
    assertThat(metric()).isEqualTo(Map.of("active", 1.0, "expiring", 0.0, "expired", 0.0, "unreviewed", 0.0));
    issuer.sweepStandingExceptions();
    assertThat(issuer.store().dueSignalDeliveries(Instant.ofEpochMilli(Long.MAX_VALUE), 10)).isEmpty();
  }

  // ---- through the operator CLI ------------------------------------------------------------------------------

  @Test
  void operatorCommandsChangeTheRegisterAndTheRunningIssuerLogsThemOnce() throws Exception {
    Checkpoint before = checkpoint();
    String[] added = cli("exceptions", "add", "--identity", "GitHub deploy key acme/legacy", "--scope", "write to acme/legacy",
        "--owner", "legacy-team", "--reason", "no OIDC on the old runner", "--expires-in", "1h", "--as", "bob");
    assertThat(added[0]).as(added[2]).isEqualTo("0");
    Matcher m = Pattern.compile("(exc_[a-z2-7]{26}) added: active").matcher(added[1]);
    assertThat(m.find()).as(added[1]).isTrue();
    String id = m.group(1);

    String[] listed = cli("exceptions", "list", "--json");
    assertThat(listed[0]).isEqualTo("0");
    JsonNode list = ApiJson.mapper().readTree(listed[1]);
    assertThat(list.findValuesAsText("exception_id")).containsExactly(id);
    assertThat(list.get(0).get("created_by_issuer").asText()).isEqualTo("cli");
    assertThat(cli("exceptions", "list")[1]).contains(id).contains("legacy-team").contains("active");
    // The admin API sees what the command wrote.
    String viewer = token("vera@example.com", "eng");
    assertThat(json(send("GET", "/v1/admin/exceptions/" + id, viewer, null), 200).get("created_by").asText()).isEqualTo("bob");

    String[] tooFar = cli("exceptions", "review", id, "--as", "carol", "--expires-in", "3h");
    assertThat(tooFar[0]).isEqualTo("1");
    assertThat(tooFar[2]).contains("exceptions.max_lifetime (2h)");
    assertThat(cli("exceptions", "add", "--identity", "x", "--scope", "s", "--owner", "o", "--reason", "r", "--expires-in", "1h")[0])
        .as("--as is required").isEqualTo("2");
    assertThat(cli("exceptions", "add", "--identity", "x", "--scope", "s", "--owner", "o", "--reason", "r", "--expires", "soon", "--as", "bob")[0])
        .isEqualTo("2");
    assertThat(cli("exceptions", "review", "exc_nope", "--as", "carol")[0]).isEqualTo("1");

    String[] reviewed = cli("exceptions", "review", id, "--as", "carol", "--note", "owner confirmed");
    assertThat(reviewed[1]).as(reviewed[2]).contains(id + " reviewed: active");
    String[] revoked = cli("exceptions", "revoke", id, "--as", "dave", "--reason", "runner migrated");
    assertThat(revoked[1]).as(revoked[2]).contains(id + " revoked: revoked");
    assertThat(cli("exceptions", "revoke", id, "--as", "dave", "--reason", "again")[2]).contains("was revoked");
    assertThat(cli("exceptions", "list", "--state", "revoked", "--json")[1]).contains(id);

    // The commands have no evidence writer: the running issuer logs their changes (its scheduler does, or this).
    issuer.sweepStandingExceptions();
    issuer.sweepStandingExceptions();
    List<JsonNode> events = exceptionEvents(before.size());
    assertThat(events).extracting(e -> e.get("type").asText()).containsExactly("exception.added", "exception.reviewed", "exception.revoked");
    assertThat(events).extracting(e -> e.get("operator").asText()).containsExactly("bob", "carol", "dave");
    assertThat(events).allSatisfy(e -> {
      assertThat(e.get("operator_issuer").asText()).isEqualTo("cli");
      assertThat(e.get("exception_id").asText()).isEqualTo(id);
    });
    assertThat(events.get(1).get("note").asText()).isEqualTo("owner confirmed");
    assertThat(issuer.store().pendingExceptionEvidence(10)).isEmpty();
    logVerifiesFrom(before);
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  private static String addBody(String who, Instant expiresAt) {
    return "{\"identity\":\"AWS IAM user " + who + "\",\"scope\":\"prod account 1234: s3:PutObject on releases\","
        + "\"owner\":\"platform-team\",\"reason\":\"the release job still signs with a static key\",\"expires_at\":\"" + expiresAt + "\"}";
  }

  /** An IdP token valid at the issuer's (injected) time. */
  private String token(String email, String group) throws Exception {
    return idp.sign(idp.claims(email, List.of(group), StandInIdp.AUDIENCE, idp.issuer, clock.instant(), Duration.ofMinutes(10)));
  }

  private HttpResponse<String> send(String method, String path, String token, String json) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(issuer.url() + path))
            .header("Content-Type", "application/json")
            .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    return AdminApiTest.json(r, status);
  }

  private static String problem(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    return json(r, status).get("type").asText().replace("https://taskbound.dev/problems/", "");
  }

  private String state(String id) throws Exception {
    return json(send("GET", "/v1/admin/exceptions/" + id, token("vera@example.com", "eng"), null), 200).get("state").asText();
  }

  /** {@code taskbound_standing_exceptions} by state, as scraped. */
  private Map<String, Double> metric() throws Exception {
    String body = HTTP.send(HttpRequest.newBuilder(URI.create(issuer.url() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    Map<String, Double> out = new java.util.TreeMap<>();
    Matcher m = METRIC.matcher(body);
    while (m.find()) {
      out.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return out;
  }

  private Checkpoint checkpoint() {
    IssuerClient client = new IssuerClient(issuer.url());
    return SignedNote.openCheckpoint(client.evidenceCheckpoint(), NoteKey.parse(client.evidenceKey().trim()));
  }

  /** The exception events logged after the first {@code from} entries, parsed, in log order. */
  private List<JsonNode> exceptionEvents(long from) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    List<String> all = entries();
    for (String entry : all.subList((int) from, all.size())) {
      JsonNode e = ApiJson.mapper().readTree(entry);
      if (e.get("type").asText().startsWith("exception.")) {
        out.add(e);
      }
    }
    return out;
  }

  /** Every stored entry of the log, in leaf order. */
  private List<String> entries() throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = ((dev.taskbound.issuer.store.JdbcStore) issuer.store()).dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT leaf_index, entry FROM evidence_entries ORDER BY leaf_index");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        assertThat(rs.getLong(1)).isEqualTo(out.size());
        out.add(rs.getString(2));
      }
    }
    return out;
  }

  /**
   * The newest checkpoint, verified with the log key, commits to exactly the stored entries (the exception events
   * among them), and extends {@code before}: checked with the client's verifier code, from the public endpoints.
   */
  private void logVerifiesFrom(Checkpoint before) throws Exception {
    Checkpoint now = checkpoint();
    List<String> all = entries();
    List<byte[]> leaves = new ArrayList<>();
    for (String entry : all.subList(0, (int) now.size())) {
      leaves.add(TreeHash.leaf(entry.getBytes(StandardCharsets.UTF_8)));
    }
    assertThat(root(leaves)).isEqualTo(now.rootHash());
    ConsistencyProof proof = new IssuerClient(issuer.url()).consistencyProof(before.size(), now.size());
    assertThat(MerkleProofs.verifyConsistency(before.size(), now.size(), before.rootHash(), now.rootHash(), proof.hashes())).isTrue();
  }

  /** RFC 6962 §2.1 Merkle tree hash. */
  private static byte[] root(List<byte[]> leaves) {
    if (leaves.isEmpty()) {
      return TreeHash.empty();
    }
    if (leaves.size() == 1) {
      return leaves.get(0);
    }
    int k = Integer.highestOneBit(leaves.size() - 1);
    return TreeHash.node(root(leaves.subList(0, k)), root(leaves.subList(k, leaves.size())));
  }

  private List<String> distinct() {
    return new ArrayList<>(new LinkedHashSet<>(received));
  }

  /** A SET verified with the transmitter's published key, as a receiver would. */
  private JWTClaimsSet verified(String set) throws Exception {
    String jwks = HTTP.send(HttpRequest.newBuilder(URI.create(issuer.url() + "/ssf/jwks")).build(), HttpResponse.BodyHandlers.ofString()).body();
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("secevent+jwt")));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(JWKSet.parse(jwks))));
    processor.setJWTClaimsSetVerifier(
        new DefaultJWTClaimsVerifier<>(AUDIENCE, new JWTClaimsSet.Builder().issuer(issuer.url()).build(), Set.of("iat", "jti", "events")));
    return processor.process(set, null);
  }

  @SuppressWarnings("unchecked")
  private static void signalled(JWTClaimsSet set, String type, String exceptionId, String state) {
    try {
      assertThat(set.getJSONObjectClaim("sub_id")).isEqualTo(Map.of("format", "opaque", "id", exceptionId));
      assertThat(set.getStringClaim("txn")).isEqualTo(exceptionId);
      Map<String, Object> event = (Map<String, Object>) set.getJSONObjectClaim("events").get(type);
      assertThat(event).isNotNull();
      assertThat(event).containsEntry("exception_id", exceptionId).containsEntry("state", state).containsEntry("owner", "platform-team");
      assertThat(event.get("expires_at")).isInstanceOf(Number.class);
    } catch (java.text.ParseException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code taskbound-issuer ARGS --config …} against the running issuer's store: exit code, out, err. */
  private String[] cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = IssuerCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--config", config().toString()));
    int exit = cl.execute(all.toArray(String[]::new));
    return new String[] {Integer.toString(exit), out.toString(), err.toString()};
  }
}
