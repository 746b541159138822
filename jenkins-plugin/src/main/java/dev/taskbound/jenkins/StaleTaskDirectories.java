package dev.taskbound.jenkins;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import hudson.Extension;
import hudson.FilePath;
import hudson.model.Computer;
import hudson.model.Node;
import hudson.model.Slave;
import hudson.model.TaskListener;
import hudson.slaves.ComputerListener;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import jenkins.model.Jenkins;

/**
 * When a node comes online (an agent that died mid-block and reconnected, a restarted controller), deletes the task
 * directories — private keys included — that steps left in its workspaces' {@code @tmp} directories and that no
 * step of this controller still uses. The credentials in them were revoked, or are ended by {@link PendingEnds}.
 */
@Extension
public final class StaleTaskDirectories extends ComputerListener {
  private static final Logger LOGGER = Logger.getLogger(StaleTaskDirectories.class.getName());

  @Override
  public void onOnline(Computer c, TaskListener listener) {
    Node node = c.getNode();
    FilePath root = workspaceRoot(node);
    if (root == null) {
      return;
    }
    String name = nodeName(c);
    try {
      List<String> wiped = sweep(name, root);
      if (!wiped.isEmpty()) {
        listener.getLogger().println("Taskbound: deleted " + wiped.size() + " stale task directories: " + wiped);
        LOGGER.info(() -> "Taskbound: deleted " + wiped.size() + " stale task directories on " + name);
      }
    } catch (Exception e) {
      LOGGER.log(Level.WARNING, "Taskbound: cannot sweep stale task directories on " + name, e);
    }
  }

  /** Deletes stale task directories under {@code root} on {@code node}, keeping those the registry knows. */
  static List<String> sweep(String node, FilePath root) throws Exception {
    TaskRegistry registry = TaskRegistry.get();
    return registry.withNode(node, () -> AgentFiles.sweep(root, registry.directoriesOn(node)));
  }

  static String nodeName(@CheckForNull Computer c) {
    return c == null || c.getName().isEmpty() ? "built-in" : c.getName();
  }

  @CheckForNull
  private static FilePath workspaceRoot(@CheckForNull Node node) {
    if (node instanceof Slave) {
      return ((Slave) node).getWorkspaceRoot();
    }
    if (node instanceof Jenkins) {
      return new FilePath(new java.io.File(((Jenkins) node).getRootDir(), "workspace"));
    }
    return null;
  }
}
