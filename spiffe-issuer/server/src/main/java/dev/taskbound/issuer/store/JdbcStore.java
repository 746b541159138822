package dev.taskbound.issuer.store;

import com.zaxxer.hikari.HikariDataSource;
import dev.taskbound.api.TaskOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * The {@link Store} on SQLite or PostgreSQL through one HikariCP pool and one set of SQL statements (both databases
 * accept {@code INSERT ... ON CONFLICT}), except for a begin and an end: PostgreSQL runs each in one round trip
 * ({@link PostgresTaskWrites}). Open it with {@link Stores}.
 *
 * <p>Race-prone operations never read-then-write: they are conditional {@code UPDATE}/{@code DELETE}s or upserts
 * whose row counts decide the answer, so they stay correct under PostgreSQL's READ COMMITTED across replicas and
 * under SQLite's single writer. Instants are stored to the millisecond.
 */
public final class JdbcStore implements Store {
  private static final Pattern PRAGMA_NAME = Pattern.compile("[a-z_]+");

  static final String TASK_COLUMNS =
      "task_id, state, spiffe_id, attestor, context_json, policy_rule, policy_version, public_key_jwk,"
          + " public_key_thumbprint, control_token_sha256, audiences_json, created_at, expires_at,"
          + " last_renewed_at, ended_at, outcome, end_reason";
  static final String TASK_VALUES = "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?";
  static final String CREDENTIAL_COLUMNS =
      "task_id, kind, credential_id, audience, not_before, expires_at, revoked_at";
  /**
   * Ended tasks whose receipt was not kept, oldest end first: from the table of those ends (V13, kept by triggers;
   * empty most of the time) to each task by its key, never through every task that ever ended. The conditions on
   * the task are repeated, so a task whose receipt is kept never comes back. CROSS JOIN keeps SQLite's planner from
   * starting at tasks; PostgreSQL's plans it as the join it is.
   */
  static final String ENDED_WITHOUT_RECEIPT =
      "SELECT " + TASK_COLUMNS.replaceAll("(^|, *)([a-z_]+)", "$1t.$2") + " FROM ends_without_receipt p CROSS JOIN tasks t"
          + " WHERE t.task_id = p.task_id AND t.state = 'ended' AND t.end_receipt IS NULL"
          + " ORDER BY p.ended_at, p.task_id LIMIT ?";
  /** Credentials revoked since the first parameter and not yet expired at the second (count and list agree). */
  static final String REVOKED_IN_WINDOW = " WHERE revoked_at >= ? AND expires_at > ?";
  /** A credential row with its {@code issue_order} first. */
  static final String CREDENTIAL_VALUES = "?,?,?,?,?,?,?,?";
  static final String GRANT_COLUMNS = "task_id, audiences_json, max_exchanges, exchanges";
  static final String GRANT_VALUES = "?,?,?,?";
  private static final String BUNDLE_KEY_COLUMNS =
      "kid, key_use, alg, state, public_material, created_at, activated_at, retired_at, not_after, remove_after";

  private final HikariDataSource pool;
  private final Database database;
  private final StoreWriter writer;
  private final Transactions tx;
  /** SQLite only: checkpoints the write-ahead log off the writer's thread. */
  private final WalCheckpointer checkpointer;
  private final PruneSchedule prune = new PruneSchedule();
  /**
   * The bundle sequence as last read or written here, and when it was read: every begin asks for it, and only
   * another process (a replica, an operator command) can move it without this store knowing at once.
   */
  private final AtomicReference<SequenceRead> bundleSequence = new AtomicReference<>(new SequenceRead(-1, 0));
  /** How long a read of the bundle sequence stands for changes made by other processes. */
  static final long BUNDLE_SEQUENCE_FRESH_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(250);

  private record SequenceRead(long sequence, long readAtNanos) {}

  JdbcStore(HikariDataSource pool, Database database) {
    this.pool = pool;
    this.database = database;
    this.writer = new StoreWriter(
        pool, database.name().toLowerCase(Locale.ROOT), StoreWriter.DEFAULT_MAX_BATCH, database == Database.SQLITE);
    this.tx = new Transactions(pool, writer);
    this.checkpointer = database == Database.SQLITE ? new WalCheckpointer(pool, writer) : null;
  }

  /** The one writer of this store: every write of the store goes through it, and the evidence log joins it. */
  public StoreWriter writer() {
    return writer;
  }

  // ---- tasks ---------------------------------------------------------------------------------------------

  @Override
  public void insertTask(TaskRecord task, List<CredentialRecord> credentials) {
    Objects.requireNonNull(task, "task");
    requireSameTask(task.taskId(), credentials);
    tx.inTransaction(
        "insert task",
        c -> {
          insertTaskRow(c, task);
          insertCredentials(c, credentials, 1);
          return null;
        });
  }

  private static void insertTaskRow(Connection c, TaskRecord task) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO tasks (" + TASK_COLUMNS + ") VALUES (" + TASK_VALUES + ")")) {
      bindTask(ps, 1, task);
      ps.executeUpdate();
    }
  }

  /** Binds {@code task} to {@link #TASK_VALUES} from parameter {@code i}; returns the next parameter's index. */
  static int bindTask(PreparedStatement ps, int i, TaskRecord task) throws SQLException {
    ps.setString(i, task.taskId());
    ps.setString(i + 1, Columns.enumText(task.state()));
    ps.setString(i + 2, task.spiffeId());
    ps.setString(i + 3, task.attestor());
    ps.setString(i + 4, Columns.json(task.context()));
    ps.setString(i + 5, task.policyRule());
    ps.setString(i + 6, task.policyVersion());
    ps.setString(i + 7, task.publicKeyJwk());
    ps.setString(i + 8, task.publicKeyThumbprint());
    ps.setString(i + 9, task.controlTokenSha256());
    ps.setString(i + 10, Columns.json(task.audiences()));
    Columns.setInstant(ps, i + 11, task.createdAt());
    Columns.setInstant(ps, i + 12, task.expiresAt());
    Columns.setInstant(ps, i + 13, task.lastRenewedAt());
    Columns.setInstant(ps, i + 14, task.endedAt());
    ps.setString(i + 15, Columns.enumText(task.outcome()));
    ps.setString(i + 16, task.endReason());
    return i + 17;
  }

  @Override
  public Optional<TaskRecord> findTask(String taskId) {
    return tx.oneStatement("find task", c -> selectTask(c, taskId));
  }

  @Override
  public List<TaskRecord> listTasks(TaskState state, int limit) {
    requirePositive(limit);
    String where = state == null ? "" : " WHERE state = ?";
    return tx.oneStatement(
        "list tasks",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + TASK_COLUMNS + " FROM tasks" + where
                      + " ORDER BY created_at DESC, task_id DESC LIMIT ?")) {
            int i = 1;
            if (state != null) {
              ps.setString(i++, Columns.enumText(state));
            }
            ps.setInt(i, limit);
            return tasks(ps);
          }
        });
  }

  @Override
  public boolean recordRenewal(String taskId, Instant renewedAt, List<CredentialRecord> credentials) {
    Objects.requireNonNull(renewedAt, "renewedAt");
    requireSameTask(taskId, credentials);
    return tx.inTransaction(
        "record renewal",
        c -> {
          // The conditional update locks the task row (PostgreSQL) before anything else happens, so a concurrent
          // end either sees these credentials and revokes them, or makes this update match nothing.
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE tasks SET last_renewed_at = ? WHERE task_id = ? AND state = 'active'")) {
            Columns.setInstant(ps, 1, renewedAt);
            ps.setString(2, taskId);
            if (ps.executeUpdate() != 1) {
              return false;
            }
          }
          appendCredentials(c, taskId, credentials);
          return true;
        });
  }

  @Override
  public Optional<TaskRecord> endTask(String taskId, TaskOutcome outcome, String reason, Instant endedAt) {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(endedAt, "endedAt");
    return tx.inTransaction("end task", c -> end(c, taskId, outcome, reason, endedAt).task());
  }

  @Override
  public <T> Optional<Ending<T>> endTask(
      String taskId, TaskOutcome outcome, String reason, Instant endedAt, EndEvidence<T> alongside) {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(endedAt, "endedAt");
    Objects.requireNonNull(alongside, "alongside");
    return tx.inTransaction(
        "end task",
        c -> {
          Ended ended = end(c, taskId, outcome, reason, endedAt);
          if (ended.task().isEmpty()) {
            return Optional.empty();
          }
          TaskRecord task = ended.task().get();
          T written = ended.endedNow() ? alongside.of(task, ended.credentials()).apply(c) : null;
          return Optional.of(new Ending<>(task, ended.credentials(), ended.endedNow(), written));
        });
  }

  /** What an end found: whether this write ended the task, and the task and its credentials as they now stand. */
  record Ended(boolean endedNow, Optional<TaskRecord> task, List<CredentialRecord> credentials) {}

  /** Sets an active task's end; its parameters: ended_at, outcome, end_reason, task_id. */
  static final String END_ACTIVE =
      "UPDATE tasks SET state = 'ended', ended_at = ?, outcome = ?, end_reason = ? WHERE task_id = ? AND state = 'active'";

  /**
   * Ends {@code taskId} if it is active and revokes its credentials, then reads the task and its credentials (empty
   * when there is no such task). PostgreSQL does it in one round trip.
   */
  private Ended end(Connection c, String taskId, TaskOutcome outcome, String reason, Instant endedAt)
      throws SQLException {
    if (database == Database.POSTGRESQL) {
      return PostgresTaskWrites.end(c, taskId, outcome, reason, endedAt);
    }
    boolean endedNow;
    try (PreparedStatement ps = c.prepareStatement(END_ACTIVE)) {
      bindEnd(ps, 1, taskId, outcome, reason, endedAt);
      endedNow = ps.executeUpdate() == 1;
    }
    if (endedNow) {
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE credentials SET revoked_at = ? WHERE task_id = ? AND revoked_at IS NULL")) {
        Columns.setInstant(ps, 1, endedAt);
        ps.setString(2, taskId);
        ps.executeUpdate();
      }
    }
    Optional<TaskRecord> task = selectTask(c, taskId);
    return new Ended(endedNow, task, task.isEmpty() ? List.of() : selectCredentials(c, taskId));
  }

  /** Binds {@link #END_ACTIVE} from parameter {@code i}; returns the next parameter's index. */
  static int bindEnd(PreparedStatement ps, int i, String taskId, TaskOutcome outcome, String reason, Instant endedAt)
      throws SQLException {
    Columns.setInstant(ps, i, endedAt);
    ps.setString(i + 1, Columns.enumText(outcome));
    ps.setString(i + 2, reason);
    ps.setString(i + 3, taskId);
    return i + 4;
  }

  @Override
  public List<CredentialRecord> credentialsOf(String taskId) {
    return tx.oneStatement("list credentials", c -> selectCredentials(c, taskId));
  }

  private static List<CredentialRecord> selectCredentials(Connection c, String taskId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + CREDENTIAL_COLUMNS + " FROM credentials WHERE task_id = ? ORDER BY issue_order")) {
      ps.setString(1, taskId);
      try (ResultSet rs = ps.executeQuery()) {
        return credentials(rs);
      }
    }
  }

  static List<CredentialRecord> credentials(ResultSet rs) throws SQLException {
    List<CredentialRecord> out = new ArrayList<>();
    while (rs.next()) {
      out.add(credential(rs));
    }
    return out;
  }

  @Override
  public List<TaskRecord> overdueTasks(Instant heartbeatDeadline, Instant now, int limit) {
    requirePositive(limit);
    return tx.oneStatement(
        "list overdue tasks",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + TASK_COLUMNS + " FROM tasks WHERE state = 'active'"
                      + " AND (COALESCE(last_renewed_at, created_at) < ? OR expires_at <= ?)"
                      + " ORDER BY created_at, task_id LIMIT ?")) {
            Columns.setInstant(ps, 1, heartbeatDeadline);
            Columns.setInstant(ps, 2, now);
            ps.setInt(3, limit);
            return tasks(ps);
          }
        });
  }

  // ---- token exchange ([3/7]) -----------------------------------------------------------------------------

  @Override
  public void insertTask(TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant) {
    insertTask(task, credentials, grant, null, null);
  }

  @Override
  public boolean insertTask(
      TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant, AttestationUse use, Instant now) {
    return insertTask(task, credentials, grant, use, now, Write.of("nothing alongside", c -> Boolean.TRUE)).isPresent();
  }

  @Override
  public <T> Optional<T> insertTask(
      TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant, AttestationUse use, Instant now,
      Write<T> alongside) {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(grant, "grant");
    Objects.requireNonNull(alongside, "alongside");
    requireSameTask(task.taskId(), credentials);
    if (!task.taskId().equals(grant.taskId())) {
      throw new IllegalArgumentException("the exchange grant belongs to another task");
    }
    if (use != null) {
      Objects.requireNonNull(now, "now");
    }
    Optional<T> inserted = tx.write(new BeginTask<>(database, task, List.copyOf(credentials), grant, use, now, alongside));
    if (use != null) {
      pruneIfDue(now);
    }
    return inserted;
  }

  /**
   * A task begun: spend the attestation, insert the task, its exchange grant and credentials, then run
   * {@code alongside} (the task's evidence) — one write, so all of it commits or none of it. PostgreSQL does the
   * spending and the inserts in one statement ({@link PostgresTaskWrites#begin}); SQLite, with no round trips to
   * save, one by one.
   */
  private record BeginTask<T>(
      Database database, TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant, AttestationUse use,
      Instant now, Write<T> alongside) implements Write<Optional<T>> {
    @Override
    public String operation() {
      return "insert task";
    }

    @Override
    public Optional<T> apply(Connection c) throws SQLException {
      boolean begun;
      if (database == Database.POSTGRESQL) {
        begun = PostgresTaskWrites.begin(c, task, grant, credentials, use, now);
      } else {
        // Spent first: the statement that spends it is the single winner among concurrent begins (it locks the
        // replay row, or the one-time token's, until the transaction ends), and a failure below un-spends it.
        begun = use == null || consume(c, use, now);
        if (begun) {
          insertTaskRow(c, task);
          try (PreparedStatement ps =
              c.prepareStatement("INSERT INTO task_exchange_grants (" + GRANT_COLUMNS + ") VALUES (" + GRANT_VALUES + ")")) {
            bindGrant(ps, 1, grant);
            ps.executeUpdate();
          }
          insertCredentials(c, credentials, 1);
        }
      }
      return begun ? Optional.of(alongside.apply(c)) : Optional.empty();
    }
  }

  /** Binds {@code grant} to {@link #GRANT_VALUES} from parameter {@code i}; returns the next parameter's index. */
  static int bindGrant(PreparedStatement ps, int i, ExchangeGrant grant) throws SQLException {
    ps.setString(i, grant.taskId());
    ps.setString(i + 1, Columns.json(grant.audiences()));
    if (grant.maxExchanges() == null) {
      ps.setNull(i + 2, Types.INTEGER);
    } else {
      ps.setInt(i + 2, grant.maxExchanges());
    }
    ps.setInt(i + 3, grant.exchanges());
    return i + 4;
  }

  @Override
  public Optional<ExchangeGrant> findExchangeGrant(String taskId) {
    return tx.oneStatement(
        "find exchange grant",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + GRANT_COLUMNS + " FROM task_exchange_grants WHERE task_id = ?")) {
            ps.setString(1, taskId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              int max = rs.getInt("max_exchanges");
              Integer maxExchanges = rs.wasNull() ? null : max;
              return Optional.of(
                  new ExchangeGrant(
                      rs.getString("task_id"), Columns.stringList(rs.getString("audiences_json")), maxExchanges,
                      rs.getInt("exchanges")));
            }
          }
        });
  }

  @Override
  public ExchangeRecorded recordExchange(String taskId, CredentialRecord downstreamToken, Instant now) {
    Objects.requireNonNull(now, "now");
    requireSameTask(taskId, List.of(downstreamToken));
    return tx.inTransaction(
        "record exchange",
        c -> {
          // Lock the task row first, as renewal and end do: a concurrent end then either revokes this token or
          // finds the task ended first and this update matches nothing.
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE tasks SET last_renewed_at = last_renewed_at"
                      + " WHERE task_id = ? AND state = 'active' AND expires_at > ?")) {
            ps.setString(1, taskId);
            Columns.setInstant(ps, 2, now);
            if (ps.executeUpdate() != 1) {
              return ExchangeRecorded.TASK_NOT_ACTIVE;
            }
          }
          // The limit is checked by the row count of a conditional increment, never read-then-write.
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE task_exchange_grants SET exchanges = exchanges + 1"
                      + " WHERE task_id = ? AND (max_exchanges IS NULL OR exchanges < max_exchanges)")) {
            ps.setString(1, taskId);
            if (ps.executeUpdate() != 1) {
              return ExchangeRecorded.LIMIT_REACHED;
            }
          }
          appendCredentials(c, taskId, List.of(downstreamToken));
          return ExchangeRecorded.RECORDED;
        });
  }

  @Override
  public Optional<CredentialRecord> findCredential(CredentialKind kind, String credentialId) {
    Objects.requireNonNull(kind, "kind");
    return tx.oneStatement(
        "find credential",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + CREDENTIAL_COLUMNS + " FROM credentials WHERE credential_id = ? AND kind = ?")) {
            ps.setString(1, credentialId);
            ps.setString(2, kind.wire());
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(credential(rs)) : Optional.empty();
            }
          }
        });
  }

  @Override
  public boolean revokeCredential(CredentialKind kind, String credentialId, Instant revokedAt) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(revokedAt, "revokedAt");
    return tx.inTransaction(
        "revoke credential",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE credentials SET revoked_at = ?"
                      + " WHERE credential_id = ? AND kind = ? AND revoked_at IS NULL")) {
            Columns.setInstant(ps, 1, revokedAt);
            ps.setString(2, credentialId);
            ps.setString(3, kind.wire());
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public long countRevokedCredentials(Instant revokedSince, Instant now) {
    Objects.requireNonNull(revokedSince, "revokedSince");
    Objects.requireNonNull(now, "now");
    return tx.oneStatement(
        "count revoked credentials",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT COUNT(*) FROM credentials" + REVOKED_IN_WINDOW)) {
            Columns.setInstant(ps, 1, revokedSince);
            Columns.setInstant(ps, 2, now);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  @Override
  public List<CredentialRecord> revokedCredentials(Instant revokedSince, Instant now) {
    Objects.requireNonNull(revokedSince, "revokedSince");
    Objects.requireNonNull(now, "now");
    return tx.oneStatement(
        "list revoked credentials",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + CREDENTIAL_COLUMNS + " FROM credentials" + REVOKED_IN_WINDOW + " ORDER BY revoked_at")) {
            Columns.setInstant(ps, 1, revokedSince);
            Columns.setInstant(ps, 2, now);
            List<CredentialRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(credential(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public List<BundleKeyRecord> downstreamKeys() {
    return tx.oneStatement("list downstream keys", c -> keys(c, "downstream_keys"));
  }

  @Override
  public void putDownstreamKey(BundleKeyRecord key) {
    Objects.requireNonNull(key, "key");
    tx.inTransaction(
        "put downstream key",
        c -> {
          upsertKey(c, "downstream_keys", key);
          return null;
        });
  }

  @Override
  public void removeDownstreamKey(String kid) {
    tx.inTransaction(
        "remove downstream key",
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM downstream_keys WHERE kid = ?")) {
            ps.setString(1, kid);
            return ps.executeUpdate();
          }
        });
  }

  // ---- trust bundle ----------------------------------------------------------------------------------------

  @Override
  public List<BundleKeyRecord> bundleKeys() {
    return tx.oneStatement("list bundle keys", c -> keys(c, "bundle_keys"));
  }

  @Override
  public long putBundleKey(BundleKeyRecord key) {
    Objects.requireNonNull(key, "key");
    return saw(
        tx.inTransaction(
            "put bundle key",
            c -> {
              upsertKey(c, "bundle_keys", key);
              return incrementBundleSequence(c);
            }));
  }

  @Override
  public long removeBundleKey(String kid) {
    return saw(
        tx.inTransaction(
            "remove bundle key",
            c -> {
              try (PreparedStatement ps = c.prepareStatement("DELETE FROM bundle_keys WHERE kid = ?")) {
                ps.setString(1, kid);
                if (ps.executeUpdate() == 0) {
                  return selectBundleSequence(c);
                }
              }
              return incrementBundleSequence(c);
            }));
  }

  /**
   * The bundle sequence: this store's own changes at once, other processes' within {@link
   * #BUNDLE_SEQUENCE_FRESH_NANOS} (a read per begin was a round trip per begin on PostgreSQL). Rotation publishes
   * new authorities {@code prepare_before} ahead of use, so that lag is harmless.
   */
  @Override
  public long bundleSequence() {
    SequenceRead last = bundleSequence.get();
    if (last.sequence() >= 0 && System.nanoTime() - last.readAtNanos() < BUNDLE_SEQUENCE_FRESH_NANOS) {
      return last.sequence();
    }
    saw(freshBundleSequence());
    return bundleSequence.get().sequence();
  }

  @Override
  public long freshBundleSequence() {
    return saw(tx.oneStatement("read bundle sequence", JdbcStore::selectBundleSequence));
  }

  /** Keeps {@code sequence} as the latest seen (sequences only grow: a slower, older read never wins); returns it. */
  private long saw(long sequence) {
    long now = System.nanoTime();
    bundleSequence.updateAndGet(last -> sequence >= last.sequence() ? new SequenceRead(sequence, now) : last);
    return sequence;
  }

  // ---- one-time tokens and replay --------------------------------------------------------------------------

  @Override
  public void insertOneTimeToken(String tokenSha256, String purpose, Instant expiresAt) {
    Objects.requireNonNull(expiresAt, "expiresAt");
    tx.inTransaction(
        "insert one-time token",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO one_time_tokens (token_sha256, purpose, expires_at) VALUES (?, ?, ?)")) {
            ps.setString(1, tokenSha256);
            ps.setString(2, purpose);
            Columns.setInstant(ps, 3, expiresAt);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public boolean consumeOneTimeToken(String tokenSha256, String purpose, Instant now) {
    Objects.requireNonNull(now, "now");
    boolean consumed =
        tx.inTransaction("consume one-time token", c -> consume(c, new AttestationUse.OneTimeToken(tokenSha256, purpose), now));
    pruneIfDue(now);
    return consumed;
  }

  @Override
  public boolean rememberJti(String issuer, String jti, Instant expiresAt, Instant now) {
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(now, "now");
    boolean first = tx.inTransaction("remember jti", c -> consume(c, new AttestationUse.Jti(issuer, jti, expiresAt), now));
    pruneIfDue(now);
    return first;
  }

  /** Spends {@code use} in the caller's transaction; true when this call spent it. */
  private static boolean consume(Connection c, AttestationUse use, Instant now) throws SQLException {
    Objects.requireNonNull(now, "now");
    try (PreparedStatement ps = c.prepareStatement(spend(use))) {
      bindSpend(ps, 1, use, now);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * The statement that spends {@code use}, whose row count (1 or 0) is the single winner among concurrent spenders.
   * A replay entry: inserted (first sight) or took over an expired entry -> 1 row; live entry -> 0. A one-time
   * token: only one DELETE can remove the row.
   */
  static String spend(AttestationUse use) {
    return use instanceof AttestationUse.Jti
        ? "INSERT INTO seen_jtis (issuer, jti, expires_at) VALUES (?, ?, ?)"
            + " ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_jtis.expires_at <= ?"
        : "DELETE FROM one_time_tokens WHERE token_sha256 = ? AND purpose = ? AND expires_at > ?";
  }

  /** Binds {@link #spend} from parameter {@code i}; returns the next parameter's index. */
  static int bindSpend(PreparedStatement ps, int i, AttestationUse use, Instant now) throws SQLException {
    if (use instanceof AttestationUse.Jti j) {
      ps.setString(i, j.issuer());
      ps.setString(i + 1, j.jti());
      Columns.setInstant(ps, i + 2, j.expiresAt());
      Columns.setInstant(ps, i + 3, now);
      return i + 4;
    }
    AttestationUse.OneTimeToken t = (AttestationUse.OneTimeToken) use;
    ps.setString(i, t.tokenSha256());
    ps.setString(i + 1, t.purpose());
    Columns.setInstant(ps, i + 2, now);
    return i + 3;
  }

  /**
   * Deletes dead replay-cache entries and expired one-time tokens, at most once per {@link PruneSchedule#EVERY}
   * per store, as writes of their own.
   */
  private void pruneIfDue(Instant now) {
    if (!prune.due(now)) {
      return;
    }
    for (String table : List.of("seen_jtis", "one_time_tokens")) {
      // Queued behind the caller's write, never waited for: housekeeping can neither delay nor fail the operation
      // that triggered it, and expired rows are ignored by every query until a later pass deletes them.
      writer.submit(
          Write.of(
              "prune " + table,
              c -> {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE expires_at <= ?")) {
                  Columns.setInstant(ps, 1, now);
                  return ps.executeUpdate();
                }
              }));
    }
  }

  // ---- revocation ------------------------------------------------------------------------------------------

  private static final String DELIVERY_COLUMNS =
      "delivery_id, receiver_url, task_id, set_jwt, attempts, created_at, next_attempt_at";

  @Override
  public List<CredentialRecord> revokedUnexpired(CredentialKind kind, Instant now) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(now, "now");
    return tx.oneStatement(
        "list revoked credentials",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + CREDENTIAL_COLUMNS + " FROM credentials"
                      + " WHERE kind = ? AND revoked_at IS NOT NULL AND expires_at > ? ORDER BY credential_id")) {
            ps.setString(1, kind.wire());
            Columns.setInstant(ps, 2, now);
            List<CredentialRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(credential(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public void insertSignalDeliveries(List<SignalDeliveryRecord> deliveries) {
    Objects.requireNonNull(deliveries, "deliveries");
    if (deliveries.isEmpty()) {
      return;
    }
    tx.inTransaction(
        "queue signal deliveries",
        c -> {
          insertDeliveries(c, deliveries);
          return null;
        });
  }

  private static void insertDeliveries(Connection c, List<SignalDeliveryRecord> deliveries) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO ssf_deliveries (" + DELIVERY_COLUMNS + ", state) VALUES (?,?,?,?,?,?,?,'pending')")) {
      for (SignalDeliveryRecord d : deliveries) {
        ps.setString(1, d.deliveryId());
        ps.setString(2, d.receiverUrl());
        ps.setString(3, d.taskId());
        ps.setString(4, d.set());
        ps.setInt(5, d.attempts());
        Columns.setInstant(ps, 6, d.createdAt());
        Columns.setInstant(ps, 7, d.nextAttemptAt());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  @Override
  public List<SignalDeliveryRecord> dueSignalDeliveries(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    requirePositive(limit);
    return tx.oneStatement(
        "list due signal deliveries",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + DELIVERY_COLUMNS + " FROM ssf_deliveries WHERE state = 'pending' AND next_attempt_at <= ?"
                      + " ORDER BY next_attempt_at, created_at, delivery_id LIMIT ?")) {
            Columns.setInstant(ps, 1, now);
            ps.setInt(2, limit);
            List<SignalDeliveryRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new SignalDeliveryRecord(
                        rs.getString("delivery_id"),
                        rs.getString("receiver_url"),
                        rs.getString("task_id"),
                        rs.getString("set_jwt"),
                        rs.getInt("attempts"),
                        Columns.getInstant(rs, "created_at"),
                        Columns.getInstant(rs, "next_attempt_at")));
              }
            }
            return out;
          }
        });
  }

  @Override
  public boolean leaseSignalDelivery(String deliveryId, Instant seenNextAttemptAt, Instant leaseUntil) {
    Objects.requireNonNull(seenNextAttemptAt, "seenNextAttemptAt");
    Objects.requireNonNull(leaseUntil, "leaseUntil");
    return tx.inTransaction(
        "lease signal delivery",
        c -> {
          // Compare-and-set on next_attempt_at: of several replicas that saw the same due row, one row count wins.
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE ssf_deliveries SET next_attempt_at = ?, attempts = attempts + 1"
                      + " WHERE delivery_id = ? AND state = 'pending' AND next_attempt_at = ?")) {
            Columns.setInstant(ps, 1, leaseUntil);
            ps.setString(2, deliveryId);
            Columns.setInstant(ps, 3, seenNextAttemptAt);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public void deleteSignalDelivery(String deliveryId) {
    tx.inTransaction(
        "delete signal delivery",
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM ssf_deliveries WHERE delivery_id = ?")) {
            ps.setString(1, deliveryId);
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public void retrySignalDelivery(String deliveryId, Instant nextAttemptAt, String lastError) {
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
    updateDelivery("retry signal delivery", deliveryId, "next_attempt_at = ?", nextAttemptAt, lastError);
  }

  @Override
  public void failSignalDelivery(String deliveryId, String lastError) {
    updateDelivery("fail signal delivery", deliveryId, "state = 'failed'", null, lastError);
  }

  private void updateDelivery(String what, String deliveryId, String set, Instant at, String lastError) {
    tx.inTransaction(
        what,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE ssf_deliveries SET " + set + ", last_error = ? WHERE delivery_id = ? AND state = 'pending'")) {
            int i = 1;
            if (at != null) {
              Columns.setInstant(ps, i++, at);
            }
            ps.setString(i++, lastError);
            ps.setString(i, deliveryId);
            return ps.executeUpdate();
          }
        });
  }

  // ---- Jenkins controllers ---------------------------------------------------------------------------------

  @Override
  public void putController(ControllerRecord controller) {
    Objects.requireNonNull(controller, "controller");
    if ((controller.jwksJson() == null) == (controller.jwksUrl() == null)) {
      throw new IllegalArgumentException("a controller needs exactly one of jwksJson and jwksUrl");
    }
    tx.inTransaction(
        "put controller",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO controllers (name, jwks_json, jwks_url, registered_at) VALUES (?, ?, ?, ?)"
                      + " ON CONFLICT (name) DO UPDATE SET jwks_json = excluded.jwks_json,"
                      + " jwks_url = excluded.jwks_url, registered_at = excluded.registered_at")) {
            ps.setString(1, controller.name());
            ps.setString(2, controller.jwksJson());
            ps.setString(3, controller.jwksUrl());
            Columns.setInstant(ps, 4, controller.registeredAt());
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public Optional<ControllerRecord> findController(String name) {
    return tx.oneStatement(
        "find controller",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT name, jwks_json, jwks_url, registered_at FROM controllers WHERE name = ?")) {
            ps.setString(1, name);
            List<ControllerRecord> found = controllers(ps);
            return found.stream().findFirst();
          }
        });
  }

  @Override
  public List<ControllerRecord> listControllers() {
    return tx.oneStatement(
        "list controllers",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT name, jwks_json, jwks_url, registered_at FROM controllers ORDER BY name")) {
            return controllers(ps);
          }
        });
  }

  @Override
  public boolean removeController(String name) {
    return tx.inTransaction(
        "remove controller",
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM controllers WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /** Tests: how long the SQLite log may grow before the writer lets it start over. */
  void restartLogAt(long frames) {
    checkpointer.restartAt(frames);
  }

  @Override
  public void close() {
    writer.close();
    if (checkpointer != null) {
      checkpointer.close();
    }
    pool.close();
  }

  // ---- diagnostics -----------------------------------------------------------------------------------------

  Database database() {
    return database;
  }

  /**
   * Reads a SQLite pragma through a pooled connection, as the store's own statements would see it (tests use it
   * to prove WAL and synchronous FULL are really in force).
   */
  String sqlitePragma(String name) {
    if (database != Database.SQLITE || !PRAGMA_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a SQLite pragma name on a SQLite store: " + name);
    }
    return tx.oneStatement(
        "read pragma",
        c -> {
          try (PreparedStatement ps = c.prepareStatement("PRAGMA " + name);
              ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
          }
        });
  }

  // ---- rows ------------------------------------------------------------------------------------------------

  private static Optional<TaskRecord> selectTask(Connection c, String taskId) throws SQLException {
    return selectTaskWhere(c, "task_id", taskId);
  }

  /** {@code column} is one of ours, never input. */
  private static Optional<TaskRecord> selectTaskWhere(Connection c, String column, String value) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + TASK_COLUMNS + " FROM tasks WHERE " + column + " = ?")) {
      ps.setString(1, value);
      return tasks(ps).stream().findFirst();
    }
  }

  private static List<TaskRecord> tasks(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      return tasks(rs);
    }
  }

  static List<TaskRecord> tasks(ResultSet rs) throws SQLException {
    List<TaskRecord> out = new ArrayList<>();
    while (rs.next()) {
      out.add(
          new TaskRecord(
              rs.getString("task_id"),
              Columns.textEnum(TaskState.class, rs.getString("state")),
              rs.getString("spiffe_id"),
              rs.getString("attestor"),
              Columns.stringMap(rs.getString("context_json")),
              rs.getString("policy_rule"),
              rs.getString("policy_version"),
              rs.getString("public_key_jwk"),
              rs.getString("public_key_thumbprint"),
              rs.getString("control_token_sha256"),
              Columns.stringList(rs.getString("audiences_json")),
              Columns.getInstant(rs, "created_at"),
              Columns.getInstant(rs, "expires_at"),
              Columns.getInstant(rs, "last_renewed_at"),
              Columns.getInstant(rs, "ended_at"),
              Columns.textEnum(TaskOutcome.class, rs.getString("outcome")),
              rs.getString("end_reason")));
    }
    return out;
  }

  /** Every key of a key table ({@code bundle_keys}, {@code downstream_keys}), oldest first. */
  private static List<BundleKeyRecord> keys(Connection c, String table) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("SELECT " + BUNDLE_KEY_COLUMNS + " FROM " + table + " ORDER BY created_at, kid");
        ResultSet rs = ps.executeQuery()) {
      List<BundleKeyRecord> out = new ArrayList<>();
      while (rs.next()) {
        out.add(bundleKey(rs));
      }
      return out;
    }
  }

  /** Appends {@code credentials} to an existing task's, after the last one in issue order. */
  private static void appendCredentials(Connection c, String taskId, List<CredentialRecord> credentials)
      throws SQLException {
    if (credentials.isEmpty()) {
      return;
    }
    // Callers hold the task row (locked by the conditional update), so no one else appends to this task between
    // reading the last position and writing the next ones.
    int last;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT COALESCE(MAX(issue_order), 0) FROM credentials WHERE task_id = ?")) {
      ps.setString(1, taskId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        last = rs.getInt(1);
      }
    }
    insertCredentials(c, credentials, last + 1);
  }

  /** Inserts {@code credentials} in issue order from {@code first} (1 for a task inserted in the same write). */
  private static void insertCredentials(Connection c, List<CredentialRecord> credentials, int first)
      throws SQLException {
    if (credentials.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement("INSERT INTO credentials (issue_order, " + CREDENTIAL_COLUMNS + ") VALUES (" + CREDENTIAL_VALUES + ")")) {
      int order = first;
      for (CredentialRecord cred : credentials) {
        bindCredential(ps, 1, order++, cred);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /** Binds {@code cred} to {@link #CREDENTIAL_VALUES} from parameter {@code i}; returns the next parameter's index. */
  static int bindCredential(PreparedStatement ps, int i, int issueOrder, CredentialRecord cred) throws SQLException {
    ps.setInt(i, issueOrder);
    ps.setString(i + 1, cred.taskId());
    ps.setString(i + 2, cred.kind().wire());
    ps.setString(i + 3, cred.credentialId());
    ps.setString(i + 4, cred.audience());
    Columns.setInstant(ps, i + 5, cred.notBefore());
    Columns.setInstant(ps, i + 6, cred.expiresAt());
    Columns.setInstant(ps, i + 7, cred.revokedAt());
    return i + 8;
  }

  private static CredentialRecord credential(ResultSet rs) throws SQLException {
    return new CredentialRecord(
        rs.getString("task_id"),
        CredentialKind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT).replace('-', '_')),
        rs.getString("credential_id"),
        rs.getString("audience"),
        Columns.getInstant(rs, "not_before"),
        Columns.getInstant(rs, "expires_at"),
        Columns.getInstant(rs, "revoked_at"));
  }

  private static BundleKeyRecord bundleKey(ResultSet rs) throws SQLException {
    return new BundleKeyRecord(
        rs.getString("kid"),
        rs.getString("key_use"),
        rs.getString("alg"),
        Columns.textEnum(KeyState.class, rs.getString("state")),
        rs.getString("public_material"),
        Columns.getInstant(rs, "created_at"),
        Columns.getInstant(rs, "activated_at"),
        Columns.getInstant(rs, "retired_at"),
        Columns.getInstant(rs, "not_after"),
        Columns.getInstant(rs, "remove_after"));
  }

  private static List<ControllerRecord> controllers(PreparedStatement ps) throws SQLException {
    List<ControllerRecord> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new ControllerRecord(
                rs.getString("name"),
                rs.getString("jwks_json"),
                rs.getString("jwks_url"),
                Columns.getInstant(rs, "registered_at")));
      }
    }
    return out;
  }

  /** Inserts or replaces a key row by {@code kid} in {@code bundle_keys} or {@code downstream_keys}. */
  private static void upsertKey(Connection c, String table, BundleKeyRecord key) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO " + table + " (" + BUNDLE_KEY_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?)"
                + " ON CONFLICT (kid) DO UPDATE SET key_use = excluded.key_use, alg = excluded.alg,"
                + " state = excluded.state, public_material = excluded.public_material,"
                + " created_at = excluded.created_at, activated_at = excluded.activated_at,"
                + " retired_at = excluded.retired_at, not_after = excluded.not_after,"
                + " remove_after = excluded.remove_after")) {
      ps.setString(1, key.kid());
      ps.setString(2, key.use());
      ps.setString(3, key.alg());
      ps.setString(4, Columns.enumText(key.state()));
      ps.setString(5, key.publicMaterial());
      Columns.setInstant(ps, 6, key.createdAt());
      Columns.setInstant(ps, 7, key.activatedAt());
      Columns.setInstant(ps, 8, key.retiredAt());
      Columns.setInstant(ps, 9, key.notAfter());
      Columns.setInstant(ps, 10, key.removeAfter());
      ps.executeUpdate();
    }
  }

  private static long incrementBundleSequence(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE bundle_sequence SET sequence_number = sequence_number + 1 WHERE id = 1")) {
      ps.executeUpdate();
    }
    return selectBundleSequence(c);
  }

  private static long selectBundleSequence(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT sequence_number FROM bundle_sequence WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("bundle_sequence has no row; the migration did not run");
      }
      return rs.getLong(1);
    }
  }

  private static void requireSameTask(String taskId, List<CredentialRecord> credentials) {
    Objects.requireNonNull(taskId, "taskId");
    Objects.requireNonNull(credentials, "credentials");
    for (CredentialRecord cred : credentials) {
      if (!taskId.equals(cred.taskId())) {
        throw new IllegalArgumentException("credential " + cred.kind().wire() + " belongs to another task");
      }
    }
  }

  private static void requirePositive(int limit) {
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
  }

  // ---- end receipts ----------------------------------------------------------------------------------------

  @Override
  public boolean saveEndReceipt(String taskId, String receiptJson) {
    PendingUpdate keep = keepEndReceipt(taskId, receiptJson);
    return tx.inTransaction("save end receipt", c -> keep.run(c) == 1);
  }

  @Override
  public PendingUpdate keepEndReceipt(String taskId, String receiptJson) {
    Objects.requireNonNull(receiptJson, "receiptJson");
    return new PendingUpdate(
        "UPDATE tasks SET end_receipt = ? WHERE task_id = ? AND state = 'ended' AND end_receipt IS NULL",
        ps -> {
          ps.setString(1, receiptJson);
          ps.setString(2, taskId);
        },
        rows -> {});
  }

  @Override
  public Optional<String> endReceipt(String taskId) {
    return text("read end receipt", "SELECT end_receipt FROM tasks WHERE task_id = ?", taskId);
  }

  /** The one text column {@code sql} selects for {@code key}: empty when there is no row or the value is null. */
  private Optional<String> text(String operation, String sql, String key) {
    return tx.oneStatement(
        operation,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
          }
        });
  }

  @Override
  public List<TaskRecord> endedWithoutReceipt(int limit) {
    return tx.oneStatement(
        "list ends without receipt",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(ENDED_WITHOUT_RECEIPT)) {
            ps.setInt(1, limit);
            return tasks(ps);
          }
        });
  }

  // ---- operators (issue 15) --------------------------------------------------------------------------------

  @Override
  public List<CredentialRecord> credentialsValidAfterTaskEnd(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    requirePositive(limit);
    return tx.oneStatement(
        "list credentials valid after their task ended",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + CREDENTIAL_COLUMNS + " FROM credentials WHERE expires_at > ?"
                      + " AND task_id IN (SELECT task_id FROM tasks WHERE state = 'ended')"
                      + " ORDER BY expires_at, credential_id LIMIT ?")) {
            Columns.setInstant(ps, 1, now);
            ps.setInt(2, limit);
            List<CredentialRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(credential(rs));
              }
            }
            return out;
          }
        });
  }

  // ---- approval gates (issue 16) --------------------------------------------------------------------------

  @Override
  public <T> Optional<T> insertApproval(ApprovalRecord approval, AttestationUse use, Instant now, Write<T> alongside) {
    Objects.requireNonNull(approval, "approval");
    Objects.requireNonNull(use, "use");
    Objects.requireNonNull(now, "now");
    Optional<T> inserted =
        tx.write(
            Write.of(
                "insert approval request",
                c -> {
                  // Spent first, as for a begun task: one winner among concurrent requests with one attestation.
                  if (!consume(c, use, now)) {
                    return Optional.<T>empty();
                  }
                  ApprovalRows.insert(c, approval);
                  return Optional.of(alongside.apply(c));
                }));
    pruneIfDue(now);
    return inserted;
  }

  @Override
  public Optional<ApprovalRecord> findApproval(String approvalId) {
    return tx.oneStatement("find approval request", c -> ApprovalRows.find(c, approvalId)).map(this::withApprovers);
  }

  @Override
  public List<ApprovalRecord> listApprovals(ApprovalState state, int limit) {
    requirePositive(limit);
    return tx.oneStatement("list approval requests", c -> ApprovalRows.list(c, state, limit)).stream()
        .map(this::withApprovers)
        .toList();
  }

  @Override
  public List<ApprovalRecord> overdueApprovals(Instant now, int limit) {
    requirePositive(limit);
    return tx.oneStatement("list overdue approval requests", c -> ApprovalRows.overdue(c, now, limit)).stream()
        .map(this::withApprovers)
        .toList();
  }

  @Override
  public List<ApprovalRecord> approvalsWithPendingEvidence(int limit) {
    requirePositive(limit);
    return tx.oneStatement("list approval requests with pending evidence", c -> ApprovalRows.evidencePending(c, limit)).stream()
        .map(this::withApprovers)
        .toList();
  }

  @Override
  public void clearApprovalEvidencePending(String approvalId) {
    tx.inTransaction("clear approval evidence pending", c -> ApprovalRows.setEvidencePending(c, approvalId, false));
  }

  private ApprovalRecord withApprovers(ApprovalRecord a) {
    return ApprovalRows.withApprovers(a, tx.oneStatement("list approvers", c -> ApprovalRows.approvers(c, a.approvalId())));
  }

  @Override
  public <T> Optional<T> grantApproval(String approvalId, String approver, Instant now, Write<T> alongside) {
    Objects.requireNonNull(approver, "approver");
    return tx.write(
        Write.of(
            "approve request",
            c -> ApprovalRows.grant(c, approvalId, approver, now).isEmpty() ? Optional.<T>empty() : Optional.of(alongside.apply(c))));
  }

  @Override
  public <T> Optional<T> closeApproval(
      String approvalId, ApprovalState to, String by, String reason, Instant now, Write<T> alongside) {
    return tx.write(
        Write.of(
            "close approval request",
            c -> ApprovalRows.close(c, approvalId, to, by, reason, now) ? Optional.of(alongside.apply(c)) : Optional.<T>empty()));
  }

  @Override
  public <T> Optional<T> insertApprovedTask(
      String approvalId, TaskRecord task, List<CredentialRecord> credentials, ExchangeGrant grant, Instant now,
      Write<T> alongside) {
    Objects.requireNonNull(task, "task");
    requireSameTask(task.taskId(), credentials);
    BeginTask<T> begin = new BeginTask<>(database, task, List.copyOf(credentials), grant, null, null, alongside);
    return tx.write(
        Write.of(
            "insert approved task",
            c -> ApprovalRows.issue(c, approvalId, now) ? begin.apply(c) : Optional.<T>empty()));
  }

  // ---- standing-privilege exceptions and the audit report (issue 16) ---------------------------------------

  @Override
  public <T> T insertException(ExceptionRecord exception, Write<T> alongside) {
    Objects.requireNonNull(exception, "exception");
    return tx.write(
        Write.of(
            "insert standing exception",
            c -> {
              ExceptionRows.insert(c, exception);
              return alongside.apply(c);
            }));
  }

  @Override
  public Optional<ExceptionRecord> findException(String exceptionId) {
    return tx.oneStatement("find standing exception", c -> ExceptionRows.find(c, exceptionId));
  }

  @Override
  public List<ExceptionRecord> listExceptions(int limit) {
    requirePositive(limit);
    return tx.oneStatement("list standing exceptions", c -> ExceptionRows.list(c, limit));
  }

  @Override
  public <T> Optional<T> reviewException(
      ExceptionRecord seen, ExceptionRecord.Actor by, String note, Instant newExpiresAt, Instant at, Write<T> alongside) {
    Objects.requireNonNull(seen, "seen");
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(at, "at");
    return tx.write(
        Write.of(
            "review standing exception",
            c -> ExceptionRows.review(c, seen.exceptionId(), seen.version(), by, note, seen.expiresAt(), newExpiresAt, at)
                ? Optional.of(alongside.apply(c))
                : Optional.<T>empty()));
  }

  @Override
  public <T> Optional<T> revokeException(
      String exceptionId, ExceptionRecord.Actor by, String reason, Instant at, Write<T> alongside) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(at, "at");
    return tx.write(
        Write.of(
            "revoke standing exception",
            c -> ExceptionRows.revoke(c, exceptionId, by, reason, at) ? Optional.of(alongside.apply(c)) : Optional.<T>empty()));
  }

  @Override
  public boolean signalException(
      String exceptionId, int version, ExceptionState state, Instant at, List<SignalDeliveryRecord> deliveries) {
    Objects.requireNonNull(deliveries, "deliveries");
    return tx.inTransaction(
        "signal standing exception",
        c -> {
          if (!ExceptionRows.markSignalled(c, exceptionId, version, state, at)) {
            return false;
          }
          if (!deliveries.isEmpty()) {
            insertDeliveries(c, deliveries);
          }
          return true;
        });
  }

  @Override
  public List<ExceptionReview> exceptionReviews(Instant from, Instant to) {
    return tx.oneStatement("list standing exception reviews", c -> ExceptionRows.reviews(c, from, to));
  }

  @Override
  public List<PendingExceptionEvidence> pendingExceptionEvidence(int limit) {
    requirePositive(limit);
    return tx.oneStatement("list pending standing exception evidence", c -> ExceptionRows.pendingEvidence(c, limit));
  }

  @Override
  public <T> Optional<T> takeExceptionEvidence(String exceptionId, int version, Write<T> alongside) {
    return tx.write(
        Write.of(
            "take pending standing exception evidence",
            c -> ExceptionRows.takePendingEvidence(c, exceptionId, version) ? Optional.of(alongside.apply(c)) : Optional.<T>empty()));
  }

  @Override
  public void forEachTaskBegun(Instant from, Instant to, java.util.function.Consumer<AuditRows.Task> each) {
    tx.oneStatement("read tasks for the audit report", c -> {
      AuditRows.tasks(c, from, to, each);
      return null;
    });
  }

  @Override
  public void forEachCredentialOfTasksBegun(Instant from, Instant to, java.util.function.Consumer<AuditRows.Credential> each) {
    tx.oneStatement("read credentials for the audit report", c -> {
      AuditRows.credentials(c, from, to, each);
      return null;
    });
  }

  @Override
  public List<ApprovalRecord> approvalsRequested(Instant from, Instant to) {
    List<String> ids = tx.oneStatement("list approval requests of a period", c -> AuditRows.approvalIds(c, from, to));
    List<ApprovalRecord> out = new ArrayList<>();
    for (String id : ids) {
      findApproval(id).ifPresent(out::add);
    }
    return out;
  }

  // ---- evidence --------------------------------------------------------------------------------------------

  /** The pool, for the evidence log, which keeps its own tables (V2) and SQL in its package. */
  public javax.sql.DataSource dataSource() {
    return pool;
  }

  // ---- replicas (issue 14) ---------------------------------------------------------------------------------

  /** How long a request waits for a connection before the store fails it (then answered 503). */
  public java.time.Duration connectionTimeout() {
    return java.time.Duration.ofMillis(pool.getConnectionTimeout());
  }

  /** True when a connection can be had and answers, within the connection timeout: readiness. */
  public boolean reachable() {
    try (Connection c = pool.getConnection()) {
      return c.isValid((int) Math.max(1, connectionTimeout().toSeconds()));
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Hears revocations committed by any replica (PostgreSQL LISTEN on a dedicated connection, filled by the V8
   * triggers in the revoking transaction). Nothing to hear on SQLite: one process owns the file, and returns a
   * feed that never calls back.
   */
  public RevocationFeed listenForRevocations(RevocationFeed.Listener listener) {
    if (database != Database.POSTGRESQL) {
      return RevocationFeed.silent();
    }
    java.util.Properties props = new java.util.Properties();
    props.putAll(pool.getDataSourceProperties());
    if (pool.getUsername() != null) {
      props.setProperty("user", pool.getUsername());
    }
    if (pool.getPassword() != null) {
      props.setProperty("password", pool.getPassword());
    }
    return RevocationFeed.start(() -> java.sql.DriverManager.getConnection(pool.getJdbcUrl(), props), listener);
  }

  @Override
  public <T> T exclusively(String name, java.util.function.Supplier<T> work) {
    if (database != Database.POSTGRESQL) {
      return work.get();
    }
    // A session lock on a connection of its own, held across the work's own transactions; a replica that dies holding
    // it loses its session, and the lock with it.
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(hashtext(current_schema() || ?))")) {
        ps.setString(1, "/" + name);
        ps.execute();
      }
      try {
        return work.get();
      } finally {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(hashtext(current_schema() || ?))")) {
          ps.setString(1, "/" + name);
          ps.execute();
        }
      }
    } catch (SQLException e) {
      throw new StoreException("lock " + name + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean insertSharedKey(String keyId, String sealed, Instant createdAt) {
    Objects.requireNonNull(sealed, "sealed");
    return tx.inTransaction(
        "insert shared key",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO shared_keys (key_id, sealed, created_at) VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING")) {
            ps.setString(1, keyId);
            ps.setString(2, sealed);
            Columns.setInstant(ps, 3, createdAt);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public Optional<String> sharedKey(String keyId) {
    return text("read shared key", "SELECT sealed FROM shared_keys WHERE key_id = ?", keyId);
  }

  @Override
  public void removeSharedKey(String keyId) {
    tx.inTransaction(
        "remove shared key",
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM shared_keys WHERE key_id = ?")) {
            ps.setString(1, keyId);
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public List<String> signalOutbox(int limit) {
    requirePositive(limit);
    return tx.oneStatement(
        "read signal outbox",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT task_id FROM ssf_outbox ORDER BY ended_at, task_id LIMIT ?")) {
            ps.setInt(1, limit);
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(rs.getString(1));
              }
            }
            return out;
          }
        });
  }

  @Override
  public int discardSignalOutbox(int limit) {
    requirePositive(limit);
    return tx.inTransaction(
        "discard signal outbox",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "DELETE FROM ssf_outbox WHERE task_id IN"
                      + " (SELECT task_id FROM ssf_outbox ORDER BY ended_at, task_id LIMIT ?)")) {
            ps.setInt(1, limit);
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public boolean relaySignalOutbox(String taskId, List<SignalDeliveryRecord> deliveries) {
    Objects.requireNonNull(deliveries, "deliveries");
    return tx.inTransaction(
        "relay signal outbox",
        c -> {
          // The delete is the claim: of replicas relaying the same end, one deletes the row, the others wait on it
          // and then delete nothing.
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM ssf_outbox WHERE task_id = ?")) {
            ps.setString(1, taskId);
            if (ps.executeUpdate() != 1) {
              return false;
            }
          }
          if (!deliveries.isEmpty()) {
            insertDeliveries(c, deliveries);
          }
          return true;
        });
  }
}
