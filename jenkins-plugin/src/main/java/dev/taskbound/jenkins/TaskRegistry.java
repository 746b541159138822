package dev.taskbound.jenkins;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import hudson.Extension;
import hudson.ExtensionList;
import hudson.XmlFile;
import hudson.util.Secret;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.Jenkins;

/**
 * The controller's durable list of the task directories and tasks its {@code withTaskIdentity} steps hold, in
 * {@code JENKINS_HOME/dev.taskbound.jenkins.TaskRegistry.xml} (control tokens encrypted as {@link Secret}):
 *
 * <ul>
 *   <li>a directory is {@linkplain #reserve reserved} the moment its key is made, so a sweep of stale directories
 *       ({@link AgentFiles#sweep}) never deletes one a step is still starting or running with;</li>
 *   <li>an end is recorded {@linkplain #ending before} it is sent and removed only when the issuer answered, so an
 *       end cut off by an interrupt, a deleted job or a controller crash is retried ({@link PendingEnds}) instead of
 *       leaving the task's credentials valid until the issuer's reaper notices.</li>
 * </ul>
 */
@Extension
public final class TaskRegistry {
  private static final Logger LOGGER = Logger.getLogger(TaskRegistry.class.getName());

  private final List<Entry> entries = new ArrayList<>();
  private final transient ConcurrentHashMap<String, Object> nodeLocks = new ConcurrentHashMap<>();

  public TaskRegistry() {
    XmlFile file = file();
    if (file.exists()) {
      try {
        file.unmarshal(this);
      } catch (IOException e) {
        LOGGER.log(Level.WARNING, "Taskbound: cannot read " + file, e);
      }
    }
    synchronized (this) {
      // No step can be half-way through beginning across a restart: those reservations are stale.
      entries.removeIf(e -> e.taskId == null);
    }
  }

  public static TaskRegistry get() {
    return ExtensionList.lookupSingleton(TaskRegistry.class);
  }

  private static XmlFile file() {
    return new XmlFile(Jenkins.XSTREAM2, new File(Jenkins.get().getRootDir(), TaskRegistry.class.getName() + ".xml"));
  }

  /** Runs {@code work} while no other sweep or key creation runs for {@code node}. */
  <T> T withNode(String node, Callable<T> work) throws Exception {
    synchronized (nodeLocks.computeIfAbsent(node, n -> new Object())) {
      return work.call();
    }
  }

  /** Under {@link #withNode}: the directory exists from now on and belongs to a step that is starting. */
  synchronized void reserve(String node, String directory, String run) throws IOException {
    entries.add(new Entry(node, directory, run));
    save();
  }

  /** The step's begin failed: its directory is wiped, nothing to remember. */
  synchronized void release(String directory) throws IOException {
    if (entries.removeIf(e -> directory.equals(e.directory) && e.taskId == null)) {
      save();
    }
  }

  synchronized void begun(String directory, String taskId, String issuerUrl, String controlToken) throws IOException {
    Entry e = byDirectory(directory);
    if (e == null) {
      e = new Entry(null, directory, null);
      entries.add(e);
    }
    e.taskId = taskId;
    e.issuerUrl = issuerUrl;
    e.controlToken = Secret.fromString(controlToken);
    save();
  }

  /** Written before the end is sent: from here on the task is ended by someone, whatever happens to the build. */
  synchronized void ending(String taskId, String outcome, @CheckForNull String reason) throws IOException {
    Entry e = byTask(taskId);
    if (e != null && e.outcome == null) {
      e.outcome = outcome;
      e.reason = reason;
      save();
    }
  }

  /** The issuer answered the end (or said the task is not there to end): forget it. */
  synchronized void ended(String taskId) throws IOException {
    if (entries.removeIf(e -> taskId.equals(e.taskId))) {
      save();
    }
  }

  synchronized void endFailed(String taskId, String why) throws IOException {
    Entry e = byTask(taskId);
    if (e != null) {
      e.attempts++;
      e.lastError = why;
      save();
    }
  }

  /** Directories on {@code node} that a step is starting, running or ending with: never swept. */
  synchronized Set<String> directoriesOn(String node) {
    Set<String> dirs = new HashSet<>();
    for (Entry e : entries) {
      if (node.equals(e.node)) {
        dirs.add(e.directory);
      }
    }
    return dirs;
  }

  synchronized List<Entry> snapshot() {
    List<Entry> copy = new ArrayList<>();
    for (Entry e : entries) {
      copy.add(e.copy());
    }
    return copy;
  }

  private Entry byTask(String taskId) {
    return entries.stream().filter(e -> taskId.equals(e.taskId)).findFirst().orElse(null);
  }

  private Entry byDirectory(String directory) {
    return entries.stream().filter(e -> directory.equals(e.directory)).findFirst().orElse(null);
  }

  private void save() throws IOException {
    file().write(this);
  }

  /** One step's task; strings, numbers and a {@link Secret} only. */
  static final class Entry {
    String node;
    String directory;
    /** {@link hudson.model.Run#getExternalizableId()} of the build the step runs in. */
    String run;
    String taskId;
    String issuerUrl;
    Secret controlToken;
    /** Null while the step runs; the outcome to report once it ends. */
    String outcome;
    String reason;
    int attempts;
    String lastError;

    Entry(String node, String directory, String run) {
      this.node = node;
      this.directory = directory;
      this.run = run;
    }

    Entry copy() {
      Entry c = new Entry(node, directory, run);
      c.taskId = taskId;
      c.issuerUrl = issuerUrl;
      c.controlToken = controlToken;
      c.outcome = outcome;
      c.reason = reason;
      c.attempts = attempts;
      c.lastError = lastError;
      return c;
    }
  }
}
