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
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evidence log: append-only, Merkle-hashed, checkpoint-signed, durable before it answers.
 *
 * <p>One writer thread owns appends. It takes whatever appends are queued (group commit), assigns their leaf
 * indexes, signs the checkpoint of the grown tree, and writes entries and checkpoint in one transaction; only
 * then does any appender's future complete. If the write fails every appender of the batch fails, the tree is
 * rolled back, and nothing of the batch is visible. Exactly one issuer process may write a given log.
 */
public final class EvidenceLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EvidenceLog.class);
  /** Appends gathered into one transaction at most; bounds transaction size and latency under a flood. */
  public static final int DEFAULT_MAX_BATCH = 512;
  private static final long APPEND_TIMEOUT_SECONDS = 30;

  /** The leaf indexes of an append, in order, and the first signed checkpoint that covers them. */
  public record Appended(List<Long> leafIndexes, String checkpoint) {
    public Appended {
      leafIndexes = List.copyOf(leafIndexes);
    }
  }

  private record Pending(List<Event> events, CompletableFuture<Appended> done) {}

  private final EvidenceStore store;
  private final LogSigner signer;
  private final CheckpointSigner checkpoints;
  private final MerkleTree tree;
  private final Clock clock;
  private final int maxBatch;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private volatile AppendListener appendListener = (nanos, committed) -> {};

  /** Told of each append once it is committed or has failed, with the caller's wait (queue + commit). */
  @FunctionalInterface
  public interface AppendListener {
    void appended(long nanos, boolean committed);
  }
  private final Thread writer;
  private volatile boolean closed;

  private EvidenceLog(EvidenceStore store, LogSigner signer, MerkleTree tree, String lastNote, Clock clock, int maxBatch) {
    this.store = store;
    this.signer = signer;
    this.tree = tree;
    this.clock = clock;
    this.maxBatch = maxBatch;
    this.checkpoints = new CheckpointSigner(signer, lastNote);
    this.writer = new Thread(this::writeLoop, "taskbound-evidence-writer");
    this.writer.setDaemon(true);
  }

  /**
   * Opens the log on the store's pool: rebuilds the tree from the stored leaf hashes, checks it against the last
   * signed checkpoint (refusing to start when they disagree), and signs the empty tree for a new log. The log's
   * origin is the signer's key name.
   */
  public static EvidenceLog open(DataSource pool, LogSigner signer, Clock clock) {
    return open(pool, signer, clock, DEFAULT_MAX_BATCH);
  }

  /** As {@link #open(DataSource, LogSigner, Clock)}; {@code maxBatch} 1 turns group commit off (benchmarks). */
  public static EvidenceLog open(DataSource pool, LogSigner signer, Clock clock, int maxBatch) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be at least 1");
    }
    EvidenceStore store = new EvidenceStore(pool);
    MerkleTree tree = new MerkleTree();
    store.loadLeafHashes(0, tree::append);
    String lastNote = store.latestCheckpoint().orElse(null);
    EvidenceLog log = new EvidenceLog(store, signer, tree, lastNote, clock, maxBatch);
    log.checkAgainstLastCheckpoint();
    if (lastNote == null) {
      Checkpoint empty = new Checkpoint(log.origin(), 0, TreeHash.empty());
      String note = log.checkpoints.sign(empty, List.of());
      store.append(List.of(), clock.millis(), 0, empty.rootHash(), note);
      log.checkpoints.committed(note);
    }
    log.writer.start();
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

  /** Queues {@code events}; the future completes once they are durably committed, or fails if they were not. */
  public CompletableFuture<Appended> appendAsync(List<Event> events) {
    CompletableFuture<Appended> done = new CompletableFuture<>();
    if (events.isEmpty()) {
      done.completeExceptionally(new IllegalArgumentException("nothing to append"));
      return done;
    }
    if (closed) {
      done.completeExceptionally(new EvidenceException("the evidence log is closed"));
      return done;
    }
    long queuedAt = System.nanoTime();
    AppendListener listener = appendListener;
    done.whenComplete((appended, failure) -> listener.appended(System.nanoTime() - queuedAt, failure == null));
    queue.add(new Pending(List.copyOf(events), done));
    return done;
  }

  /** Sets the listener told of every append (metrics); one at a time. */
  public void onAppend(AppendListener listener) {
    this.appendListener = java.util.Objects.requireNonNull(listener, "listener");
  }

  /** Appends queued and not yet committed. */
  public int queueDepth() {
    return queue.size();
  }

  /**
   * Appends {@code events} and returns once they are durable. Throws {@link EvidenceException} when they may not
   * be: the caller must then not release what the events describe.
   */
  public Appended append(List<Event> events) {
    try {
      return appendAsync(events).get(APPEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof EvidenceException ee ? ee : new EvidenceException("evidence append failed", cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EvidenceException("interrupted while appending evidence", e);
    } catch (TimeoutException e) {
      throw new EvidenceException("evidence append timed out", e);
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        commit(batch);
      } catch (InterruptedException e) {
        if (closed) {
          break;
        }
      } catch (RuntimeException | Error e) {
        // commit() fails its batch itself; this is a last resort so no appender waits forever.
        batch.forEach(p -> p.done().completeExceptionally(new EvidenceException("evidence writer failed", e)));
        LOG.error("evidence writer failed", e);
      } finally {
        batch.clear();
      }
    }
    Pending p;
    while ((p = queue.poll()) != null) {
      p.done().completeExceptionally(new EvidenceException("the evidence log is closed"));
    }
  }

  private void commit(List<Pending> batch) {
    long start = tree.size();
    List<EvidenceStore.Row> rows = new ArrayList<>();
    List<Appended> results = new ArrayList<>();
    try {
      long next = start;
      for (Pending p : batch) {
        List<Long> indexes = new ArrayList<>();
        for (Event e : p.events()) {
          byte[] leaf = TreeHash.leaf(e.entry());
          tree.append(leaf);
          rows.add(new EvidenceStore.Row(next, e.taskId(), e.type(), e.json(), leaf));
          indexes.add(next++);
        }
        results.add(new Appended(indexes, null));
      }
      Checkpoint last = checkpoints.lastSigned();
      Checkpoint grown = new Checkpoint(origin(), next, tree.root(next));
      String note = checkpoints.sign(grown, tree.consistencyProof(last.size(), next));
      store.append(rows, clock.millis(), next, grown.rootHash(), note);
      checkpoints.committed(note);
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).done().complete(new Appended(results.get(i).leafIndexes(), note));
      }
    } catch (RuntimeException e) {
      tree.truncate(start);
      resyncAfterFailure();
      EvidenceException failure = e instanceof EvidenceException ee ? ee : new EvidenceException("evidence append failed", e);
      batch.forEach(p -> p.done().completeExceptionally(failure));
    }
  }

  /**
   * A failed commit may still have committed (the connection died after COMMIT was sent). Reload whatever the
   * store holds beyond the tree so indexes stay contiguous; its appenders were already told it failed, which at
   * worst records evidence for credentials that were never released.
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

  /** The newest signed checkpoint (C2SP signed note). */
  public String checkpoint() {
    return checkpoints.lastNote();
  }

  /** The signed checkpoint for exactly {@code treeSize}, if the log signed one. */
  public Optional<String> checkpointAt(long treeSize) {
    return store.checkpointAt(treeSize);
  }

  /** Consistency proof between two tree sizes up to the newest signed checkpoint (RFC 9162 §2.1.4.1). */
  public List<byte[]> consistencyProof(long from, long to) {
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
    Set<String> out = new HashSet<>();
    for (EvidenceStore.Row r : store.entriesOf(taskId, Long.MAX_VALUE)) {
      if (EvidenceFormat.CREDENTIAL_REVOKED.equals(r.eventType())) {
        JsonNode event = EvidenceJson.parseCanonical(r.entry().getBytes(StandardCharsets.UTF_8), "stored entry");
        out.add(event.path(EvidenceFormat.KIND).asText() + " " + event.path(EvidenceFormat.CREDENTIAL_ID).asText());
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

  /** Stops the writer after it has committed (or failed) everything queued. */
  @Override
  public void close() {
    closed = true;
    try {
      writer.join(TimeUnit.SECONDS.toMillis(APPEND_TIMEOUT_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
