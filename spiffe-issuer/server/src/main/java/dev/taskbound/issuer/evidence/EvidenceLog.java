package dev.taskbound.issuer.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.client.evidence.Checkpoint;
import dev.taskbound.client.evidence.DsseEnvelope;
import dev.taskbound.client.evidence.EvidenceBundle;
import dev.taskbound.client.evidence.EvidenceFormat;
import dev.taskbound.client.evidence.EvidenceJson;
import dev.taskbound.client.evidence.InclusionProof;
import dev.taskbound.client.evidence.LoggedEvent;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.RevocationReceipt;
import dev.taskbound.client.evidence.SignedNote;
import dev.taskbound.client.evidence.TaskStatement;
import dev.taskbound.client.evidence.TreeHash;
import dev.taskbound.issuer.store.BatchParticipant;
import dev.taskbound.issuer.store.PendingUpdate;
import dev.taskbound.issuer.store.StoreWriter;
import dev.taskbound.issuer.store.Write;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evidence log: append-only, Merkle-hashed, checkpoint-signed, durable before it answers.
 *
 * <p>It has no writer of its own: appends are {@link Write}s of the store's one {@link StoreWriter}, and the log
 * joins that writer's batches ({@link BatchParticipant}). A write that appends assigns the next leaf indexes; before
 * the batch commits, the log signs one checkpoint of the grown tree and inserts it with every leaf of the batch in
 * the same transaction (on PostgreSQL in one round trip, not one per write); only after the commit does any appender
 * learn its result. So a task and its evidence can be one write ({@link #appending}): both durable, or neither. A
 * write rolled back to its savepoint takes its leaves out of the tree again; a batch that fails takes all of them. Replicas on one PostgreSQL log take turns through the log's
 * advisory lock ({@link #batchStarted}), and reads take in what the others appended first ({@link #catchUp}).
 */
public final class EvidenceLog implements AutoCloseable, BatchParticipant {
  private static final Logger LOG = LoggerFactory.getLogger(EvidenceLog.class);
  /** Appends gathered into one transaction at most, for a log with a writer of its own. */
  public static final int DEFAULT_MAX_BATCH = StoreWriter.DEFAULT_MAX_BATCH;
  /** A write with nothing to write: its batch only takes in what other replicas appended ({@link #batchStarted}). */
  private static final Write<Void> CATCH_UP = Write.of("catch up with the evidence log", c -> null);

  /** The leaf indexes of an append, in order, and the first signed checkpoint that covers them. */
  public record Appended(List<Long> leafIndexes, String checkpoint) {
    public Appended {
      leafIndexes = List.copyOf(leafIndexes);
    }
  }

  /**
   * What an {@link #appending} write returns: its leaf indexes at once, the checkpoint that covers them when its
   * batch is signed. Read {@link #appended()} only after the write's future completed (the batch committed).
   */
  public static final class Appending {
    private final List<Long> leafIndexes;
    private final Signed signed;
    /** When the write appended, for a write whose caller does not time its own wait (one riding in another's). */
    private final long timedFromNanos;
    private volatile String checkpoint;

    private Appending(List<Long> leafIndexes, Signed signed, long timedFromNanos) {
      this.leafIndexes = List.copyOf(leafIndexes);
      this.signed = signed;
      this.timedFromNanos = timedFromNanos;
    }

    public Appended appended() {
      if (checkpoint == null) {
        throw new IllegalStateException("the append's batch has not committed");
      }
      return new Appended(leafIndexes, checkpoint);
    }
  }

  /**
   * What depends on the checkpoint covering an append (a revocation receipt kept with its task): an update run in the
   * batch's transaction right after the checkpoint is inserted, with those of the other appends of the batch (one
   * round trip for all of them on PostgreSQL), so it commits with the append or not at all.
   */
  @FunctionalInterface
  public interface Signed {
    PendingUpdate keep(Appended appended);
  }

  private final EvidenceStore store;
  private final StoreWriter writer;
  private final boolean ownsWriter;
  private final LogSigner signer;
  private final CheckpointSigner checkpoints;
  private final MerkleTree tree;
  private final Clock clock;
  private volatile AppendListener appendListener = (nanos, committed) -> {};

  /** Told of each append once it is committed or has failed, with the caller's wait (queue + commit). */
  @FunctionalInterface
  public interface AppendListener {
    void appended(long nanos, boolean committed);
  }
  private volatile boolean closed;

  // Batch state: touched only by the thread running the writer's batch (one at a time).
  private long batchStart;
  private long writeStart;
  private int writeAppendsMark;
  private final List<Appending> batchAppends = new ArrayList<>();
  /** The leaves of this batch, from leaf {@code batchStart} on: inserted with its checkpoint ({@link #beforeCommit}). */
  private final List<EvidenceStore.Row> batchRows = new ArrayList<>();
  private CheckpointSigner.Signed batchCheckpoint;
  /** Whether replicas may share this log (PostgreSQL): one process per SQLite file. */
  private final boolean shared;

  private EvidenceLog(
      EvidenceStore store, StoreWriter writer, boolean ownsWriter, LogSigner signer, MerkleTree tree, String lastNote,
      boolean shared, Clock clock) {
    this.store = store;
    this.writer = writer;
    this.ownsWriter = ownsWriter;
    this.signer = signer;
    this.tree = tree;
    this.shared = shared;
    this.clock = clock;
    this.checkpoints = new CheckpointSigner(signer, lastNote);
  }

  /**
   * Opens the log on the store's pool, appending through the store's {@code writer}: rebuilds the tree from the
   * stored leaf hashes, checks it against the last signed checkpoint (refusing to start when they disagree), and signs
   * the empty tree for a new log. The log's origin is the signer's key name.
   */
  public static EvidenceLog open(StoreWriter writer, DataSource pool, LogSigner signer, Clock clock) {
    return open(writer, false, pool, signer, clock);
  }

  /** As {@link #open(StoreWriter, DataSource, LogSigner, Clock)} with a writer of its own (tools and tests). */
  public static EvidenceLog open(DataSource pool, LogSigner signer, Clock clock) {
    return open(pool, signer, clock, DEFAULT_MAX_BATCH);
  }

  /** As {@link #open(DataSource, LogSigner, Clock)}; {@code maxBatch} 1 turns group commit off (benchmarks). */
  public static EvidenceLog open(DataSource pool, LogSigner signer, Clock clock, int maxBatch) {
    StoreWriter own = new StoreWriter(pool, "evidence", maxBatch, true);
    try {
      return open(own, true, pool, signer, clock);
    } catch (RuntimeException e) {
      own.close();
      throw e;
    }
  }

  private static EvidenceLog open(StoreWriter writer, boolean ownsWriter, DataSource pool, LogSigner signer, Clock clock) {
    EvidenceStore store = new EvidenceStore(pool);
    MerkleTree tree = new MerkleTree();
    EvidenceStore.Loaded loaded = store.load(tree::append);
    EvidenceLog log =
        new EvidenceLog(store, writer, ownsWriter, signer, tree, loaded.latestCheckpoint().orElse(null), loaded.shared(), clock);
    log.checkAgainstLastCheckpoint();
    if (loaded.latestCheckpoint().isEmpty()) {
      Checkpoint empty = new Checkpoint(log.origin(), 0, TreeHash.empty());
      String note = log.checkpoints.sign(empty, List.of()).note();
      long at = clock.millis();
      execute(writer, Write.of("sign the empty evidence log", c -> {
        EvidenceStore.insertEmptyCheckpoint(c, empty.rootHash(), note, at);
        return null;
      }));
      // A replica that started at the same moment may have stored it first; one another key signed is refused here.
      log.checkpoints.committed(store.checkpointAt(0).orElseThrow());
    }
    writer.join(log);
    return log;
  }

  private void checkAgainstLastCheckpoint() {
    Checkpoint last = checkpoints.lastSigned();
    if (last == null) {
      return;
    }
    if (last.size() > tree.size() || !Arrays.equals(tree.root(last.size()), last.rootHash())) {
      throw new EvidenceException("stored evidence does not match the last signed checkpoint (size "
          + last.size() + "): the log was altered or truncated");
    }
  }

  public String origin() {
    return checkpoints.origin();
  }

  /** The key outsiders verify this log with. */
  public NoteKey verifierKey() {
    return signer.noteKey();
  }

  /**
   * A write that appends {@code events}, for a caller that wants them in the same transaction as its own rows (wrap
   * it in that write). It must run on the writer this log was opened with.
   */
  public Write<Appending> appending(List<Event> events) {
    return appending(events, null);
  }

  /**
   * As {@link #appending(List)}; once the batch's checkpoint is signed, {@code signed} (when not null) gives what
   * needs it, kept in the same transaction.
   */
  public Write<Appending> appending(List<Event> events, Signed signed) {
    return appending(events, signed, true);
  }

  /** {@code timedHere}: the log reports the append to its listener at commit (the caller does not time it). */
  private Write<Appending> appending(List<Event> events, Signed signed, boolean timedHere) {
    if (events.isEmpty()) {
      throw new IllegalArgumentException("nothing to append");
    }
    List<Event> copy = List.copyOf(events);
    return new Write<>() {
      @Override
      public String operation() {
        return "append evidence";
      }

      @Override
      public Appending apply(Connection c) throws SQLException {
        return append(c, copy, signed, timedHere);
      }
    };
  }

  private Appending append(Connection c, List<Event> events, Signed signed, boolean timedHere) throws SQLException {
    if (!writer.isWriterThread()) {
      throw new IllegalStateException("evidence is appended by the writer of its log's store only");
    }
    if (closed) {
      throw new EvidenceException("the evidence log is closed");
    }
    long next = tree.size();
    List<Long> indexes = new ArrayList<>(events.size());
    for (Event e : events) {
      byte[] leaf = TreeHash.leaf(e.entry());
      tree.append(leaf);
      batchRows.add(new EvidenceStore.Row(next, e.taskId(), e.type(), e.json(), leaf));
      indexes.add(next++);
    }
    Appending appending = new Appending(indexes, signed, timedHere ? System.nanoTime() : -1);
    batchAppends.add(appending);
    return appending;
  }

  /** Queues {@code events}; the future completes once they are durably committed, or fails if they were not. */
  public CompletableFuture<Appended> appendAsync(List<Event> events) {
    if (events.isEmpty()) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("nothing to append"));
    }
    if (closed) {
      return CompletableFuture.failedFuture(new EvidenceException("the evidence log is closed"));
    }
    long queuedAt = System.nanoTime();
    AppendListener listener = appendListener;
    return writer.submit(appending(events, null, false)).handle((appending, failure) -> {
      listener.appended(System.nanoTime() - queuedAt, failure == null);
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
        throw cause instanceof EvidenceException ee ? ee : new EvidenceException("evidence append failed", cause);
      }
      return appending.appended();
    });
  }

  /** Sets the listener told of every append (metrics); one at a time. */
  public void onAppend(AppendListener listener) {
    this.appendListener = java.util.Objects.requireNonNull(listener, "listener");
  }

  /** Writes queued at the store's writer and not yet committed (appends ride in them). */
  public int queueDepth() {
    return writer.queued();
  }

  /**
   * Appends {@code events} and returns once they are durable. Throws {@link EvidenceException} when they may not
   * be: the caller must then not release what the events describe.
   */
  public Appended append(List<Event> events) {
    long queuedAt = System.nanoTime();
    boolean committed = false;
    try {
      Appended appended = execute(writer, appending(events, null, false)).appended();
      committed = true;
      return appended;
    } finally {
      appendListener.appended(System.nanoTime() - queuedAt, committed);
    }
  }

  private static <T> T execute(StoreWriter writer, Write<T> write) {
    try {
      return writer.execute(write);
    } catch (EvidenceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new EvidenceException("evidence append failed: " + e.getMessage(), e);
    }
  }

  // ---- the writer's batches ---------------------------------------------------------------------------------

  /**
   * Orders this batch against every other replica's on the same PostgreSQL log: the transaction takes the log's
   * advisory lock (held until it commits or rolls back), then takes in the leaves and the checkpoint that other
   * replicas committed since this one last wrote (one round trip, the lock and the leaf count, when they wrote
   * nothing). The next leaf index is then always the log's next, so replicas append one linear history, and a replica
   * that dies mid-batch releases the lock with its connection, leaving nothing behind (its batch never committed).
   * One process per SQLite file needs none of this.
   */
  @Override
  public void batchStarted(Connection c) throws SQLException {
    // What a failure from here on rolls back to: a catch-up cut short is taken in again by the next batch.
    batchStart = tree.size();
    batchAppends.clear();
    batchRows.clear();
    batchCheckpoint = null;
    if (shared && EvidenceStore.lockAndCount(c) > tree.size()) {
      EvidenceStore.loadLeafHashes(c, tree.size(), tree::append);
      String latest = EvidenceStore.latestCheckpoint(c).orElseThrow();
      checkpoints.committed(latest);
      checkAgainstLastCheckpoint();
    }
    batchStart = tree.size();
  }

  @Override
  public void writeStarted() {
    writeStart = tree.size();
    writeAppendsMark = batchAppends.size();
  }

  @Override
  public void writeRolledBack() {
    tree.truncate(writeStart);
    batchRows.subList((int) (writeStart - batchStart), batchRows.size()).clear();
    List<Appending> undone = batchAppends.subList(writeAppendsMark, batchAppends.size());
    report(undone, false);
    undone.clear();
  }

  /** Tells the listener of appends that rode in other writes how long they took to commit, or that they failed. */
  private void report(List<Appending> appends, boolean committed) {
    long now = System.nanoTime();
    for (Appending a : appends) {
      if (a.timedFromNanos >= 0) {
        appendListener.appended(now - a.timedFromNanos, committed);
      }
    }
  }

  @Override
  public void beforeCommit(Connection c) throws SQLException {
    long size = tree.size();
    if (size == batchStart) {
      return;
    }
    Checkpoint last = checkpoints.lastSigned();
    Checkpoint grown = new Checkpoint(origin(), size, tree.root(size));
    CheckpointSigner.Signed signed = checkpoints.sign(grown, tree.consistencyProof(last.size(), size));
    String note = signed.note();
    List<PendingUpdate> kept = new ArrayList<>();
    for (Appending a : batchAppends) {
      if (a.signed != null) {
        kept.add(a.signed.keep(new Appended(a.leafIndexes, note)));
      }
    }
    EvidenceStore.insertWithCheckpoint(c, batchRows, size, grown.rootHash(), note, clock.millis(), shared);
    PendingUpdate.runTogether(c, kept);
    batchCheckpoint = signed;
  }

  @Override
  public void committed() {
    if (batchCheckpoint != null) {
      checkpoints.committed(batchCheckpoint);
      String note = batchCheckpoint.note();
      batchAppends.forEach(a -> a.checkpoint = note);
    }
    report(batchAppends, true);
    batchAppends.clear();
    batchRows.clear();
  }

  @Override
  public void retrying() {
    // Rolled back before any commit: nothing to resynchronise, and its appends are not over (not reported).
    batchAppends.clear();
    batchRows.clear();
    if (tree.size() != batchStart) {
      tree.truncate(batchStart);
    }
  }

  @Override
  public void rolledBack() {
    report(batchAppends, false);
    batchAppends.clear();
    batchRows.clear();
    if (tree.size() != batchStart) {
      tree.truncate(batchStart);
    }
    if (!shared) {
      resyncAfterFailure();
    }
  }

  /**
   * A failed commit may still have committed (the connection died after COMMIT was sent). Reload whatever the
   * store holds beyond the tree so indexes stay contiguous; its appenders were already told it failed, which at
   * worst records evidence for credentials that were never released. A shared log needs none of this: the next
   * batch (or read) takes in whatever committed, its own included, under the log's lock.
   */
  private void resyncAfterFailure() {
    try {
      Optional<String> latest = store.latestCheckpoint();
      long size = tree.size();
      store.loadLeafHashes(size, tree::append);
      if (latest.isPresent() && !latest.get().equals(checkpoints.lastNote())) {
        checkpoints.committed(latest.get());
        checkAgainstLastCheckpoint();
      }
    } catch (RuntimeException e) {
      LOG.warn("cannot resync the evidence log after a failed append: {}", e.getMessage());
    }
  }

  /** The newest signed checkpoint (C2SP signed note) of the whole log: other replicas' appends included. */
  public String checkpoint() {
    catchUp();
    return checkpoints.lastNote();
  }

  /**
   * Takes in the leaves and checkpoint other replicas committed since this one last wrote, so that a read answers
   * for the whole log and not for this replica's last write. One index lookup when nothing is new; otherwise an
   * empty write, whose batch catches up under the log's lock ({@link #batchStarted}) in a writer's batch, the only
   * one that grows the tree. One process per SQLite file needs none of it. Throws {@link
   * dev.taskbound.issuer.store.StoreException} when the store cannot say.
   */
  private void catchUp() {
    if (shared && !closed && store.committedSize() > checkpoints.lastSigned().size()) {
      writer.execute(CATCH_UP);
    }
  }

  /** The signed checkpoint for exactly {@code treeSize}, if the log signed one. */
  public Optional<String> checkpointAt(long treeSize) {
    return store.checkpointAt(treeSize);
  }

  /** Consistency proof between two tree sizes up to the newest signed checkpoint (RFC 9162 §2.1.4.1). */
  public List<byte[]> consistencyProof(long from, long to) {
    if (to > checkpoints.lastSigned().size()) {
      catchUp();
    }
    long signed = checkpoints.lastSigned().size();
    if (from < 0 || from > to || to > signed) {
      throw new IllegalArgumentException("need 0 <= from <= to <= " + signed);
    }
    return tree.consistencyProof(from, to);
  }

  /**
   * The evidence bundle of one task against the newest checkpoint: its entries in a DSSE-signed in-toto statement,
   * each with an inclusion proof. Empty when the log has no entry for the task.
   */
  public Optional<byte[]> bundle(String taskId) {
    catchUp();
    String note = checkpoints.lastNote();
    Checkpoint checkpoint = SignedNote.openCheckpoint(note, signer.noteKey());
    List<EvidenceStore.Row> rows = store.entriesOf(taskId, checkpoint.size());
    if (rows.isEmpty()) {
      return Optional.empty();
    }
    List<LoggedEvent> entries = new ArrayList<>();
    List<InclusionProof> proofs = new ArrayList<>();
    for (EvidenceStore.Row r : rows) {
      byte[] bytes = r.entry().getBytes(StandardCharsets.UTF_8);
      if (!Arrays.equals(TreeHash.leaf(bytes), tree.leafHash(r.leafIndex()))) {
        throw new EvidenceException("stored entry " + r.leafIndex() + " does not match its leaf hash");
      }
      entries.add(new LoggedEvent(r.leafIndex(), EvidenceJson.parseCanonical(bytes, "stored entry")));
      proofs.add(new InclusionProof(r.leafIndex(), tree.inclusionProof(r.leafIndex(), checkpoint.size())));
    }
    byte[] statement = TaskStatement.of(taskId, origin(), entries).toBytes();
    DsseEnvelope envelope = sign(EvidenceFormat.INTOTO_PAYLOAD_TYPE, statement);
    return Optional.of(new EvidenceBundle(envelope, note, proofs).toBytes());
  }

  /**
   * The credentials of {@code taskId} whose revocation is in the log, as {@code "<kind> <credential_id>"}: so a
   * task's end can log the revocations that were made earlier but whose entry could not be written then.
   */
  public Set<String> loggedRevocations(String taskId) {
    return logged(store.entriesOf(taskId, Long.MAX_VALUE), EvidenceFormat.CREDENTIAL_REVOKED::equals, EvidenceFormat.KIND,
        EvidenceFormat.CREDENTIAL_ID);
  }

  /**
   * As {@link #loggedRevocations(String)}, read on a write's connection: with the entries earlier writes of the same
   * batch appended (inserted only at its end).
   */
  public Set<String> loggedRevocations(Connection c, String taskId) throws SQLException {
    if (!writer.isWriterThread()) {
      throw new IllegalStateException("a write's reads of the evidence log run on the writer of its log's store only");
    }
    List<EvidenceStore.Row> rows = new ArrayList<>(EvidenceStore.entriesOf(c, taskId, Long.MAX_VALUE));
    batchRows.stream().filter(r -> taskId.equals(r.taskId())).forEach(rows::add);
    return logged(rows, EvidenceFormat.CREDENTIAL_REVOKED::equals, EvidenceFormat.KIND, EvidenceFormat.CREDENTIAL_ID);
  }

  /**
   * The approval events of {@code taskId} in the log, as {@code "<type> <approver>"} ({@code approver} empty for
   * events without one): so changes made by operator commands are logged once by the running issuer.
   */
  public Set<String> loggedApprovalEvents(String taskId) {
    return logged(store.entriesOf(taskId, Long.MAX_VALUE), type -> type.startsWith("approval."), EvidenceFormat.TYPE,
        EvidenceFormat.APPROVER);
  }

  private static Set<String> logged(List<EvidenceStore.Row> rows, Predicate<String> type, String first, String second) {
    Set<String> out = new HashSet<>();
    for (EvidenceStore.Row r : rows) {
      if (type.test(r.eventType())) {
        JsonNode event = EvidenceJson.parseCanonical(r.entry().getBytes(StandardCharsets.UTF_8), "stored entry");
        out.add(event.path(first).asText() + " " + event.path(second).asText());
      }
    }
    return out;
  }

  /**
   * A signed revocation receipt (DSSE envelope, canonical JSON) for {@code end} to return: {@code taskEndedLeaf}
   * is the leaf index of the task's {@code task.ended} entry, {@code checkpoint} a signed checkpoint covering it.
   */
  public byte[] receipt(
      String taskId, Instant endedAt, String outcome, List<String> revokedCredentialIds, long taskEndedLeaf, String checkpoint) {
    Checkpoint c = SignedNote.openCheckpoint(checkpoint, signer.noteKey());
    if (taskEndedLeaf < 0 || taskEndedLeaf >= c.size()) {
      throw new IllegalArgumentException("task.ended leaf is not covered by the checkpoint");
    }
    return signedReceipt(taskId, endedAt, outcome, revokedCredentialIds, taskEndedLeaf, checkpoint);
  }

  /**
   * As {@link #receipt}, for the checkpoint this log has just signed over {@code appended} (inside {@link Signed}):
   * nothing to re-verify.
   */
  public byte[] receipt(String taskId, Instant endedAt, String outcome, List<String> revokedCredentialIds, Appended appended) {
    return signedReceipt(taskId, endedAt, outcome, revokedCredentialIds, appended.leafIndexes().get(0), appended.checkpoint());
  }

  private byte[] signedReceipt(
      String taskId, Instant endedAt, String outcome, List<String> revokedCredentialIds, long taskEndedLeaf, String checkpoint) {
    RevocationReceipt receipt = new RevocationReceipt(
        taskId, endedAt.getEpochSecond(), outcome, revokedCredentialIds, taskEndedLeaf, checkpoint);
    return sign(EvidenceFormat.RECEIPT_PAYLOAD_TYPE, receipt.toBytes()).toBytes();
  }

  private DsseEnvelope sign(String payloadType, byte[] payload) {
    byte[] sig = signer.sign(DsseEnvelope.pae(payloadType, payload));
    return new DsseEnvelope(payloadType, payload, List.of(new DsseEnvelope.Signature(signer.noteKey().keyId(), sig)));
  }

  /** The number of leaves committed so far. */
  public long size() {
    return checkpoints.lastSigned().size();
  }

  /** Stops appending; a writer of its own is stopped after it has committed (or failed) everything queued. */
  @Override
  public void close() {
    closed = true;
    writer.leave(this);
    if (ownsWriter) {
      writer.close();
    }
  }
}
