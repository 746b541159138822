package dev.taskbound.jenkins;

import dev.taskbound.client.KeyOffer;
import dev.taskbound.client.LocalStepAgent;
import dev.taskbound.client.StepAgent;
import dev.taskbound.client.SvidFiles;
import dev.taskbound.client.WrittenFiles;
import hudson.FilePath;
import hudson.remoting.VirtualChannel;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import jenkins.MasterToSlaveFileCallable;

/**
 * {@link StepAgent} on the node a step runs on, through remoting: the key is generated there and written only
 * there, under the workspace's {@code @tmp} directory; only the public key, the proof and file paths come back.
 * Only JDK types cross the channel (the client's {@code toWire()} forms): Jenkins' class filter (JEP-200) rejects
 * the classes of library jars bundled in a plugin, such as {@code taskbound-client}.
 */
final class AgentFiles implements StepAgent {
  /** How deep below a node's workspace root {@link #sweep} looks for task directories (folders nest jobs). */
  static final int SWEEP_DEPTH = 8;

  private final FilePath tempDir;

  /** @param tempDir the workspace's temp dir ({@code WorkspaceList.tempDir(workspace)}) on the step's node */
  AgentFiles(FilePath tempDir) {
    this.tempDir = tempDir;
  }

  /** The workspace's temp dir on the step's node. */
  FilePath tempDir() {
    return tempDir;
  }

  @Override
  public KeyOffer createKey(String parent, String issuerUrl, String attestationSha256) throws IOException, InterruptedException {
    FilePath where = parent == null ? tempDir : new FilePath(tempDir.getChannel(), parent);
    return KeyOffer.fromWire(where.act(new CreateKey(issuerUrl, attestationSha256)));
  }

  @Override
  public WrittenFiles write(String directory, SvidFiles files) throws IOException, InterruptedException {
    return WrittenFiles.fromWire(new FilePath(tempDir.getChannel(), directory).act(new WriteFiles(files.toWire())));
  }

  @Override
  public void wipe(String directory) throws IOException, InterruptedException {
    new FilePath(tempDir.getChannel(), directory).act(new Wipe());
  }

  @Override
  public String proveForApproval(String directory, String issuerUrl, String approvalId) throws IOException, InterruptedException {
    return new FilePath(tempDir.getChannel(), directory).act(new ProveForApproval(issuerUrl, approvalId));
  }

  /**
   * Deletes the task directories left under {@code root} on its node (an agent that died mid-block, a killed
   * build), except {@code keep}: those of tasks still running.
   *
   * @return the directories deleted
   */
  static List<String> sweep(FilePath root, Set<String> keep) throws IOException, InterruptedException {
    return root.act(new Sweep(new HashSet<>(keep)));
  }

  private static final class CreateKey extends MasterToSlaveFileCallable<LinkedHashMap<String, String>> {
    private static final long serialVersionUID = 1L;
    private final String issuerUrl;
    private final String attestationSha256;

    CreateKey(String issuerUrl, String attestationSha256) {
      this.issuerUrl = issuerUrl;
      this.attestationSha256 = attestationSha256;
    }

    @Override
    public LinkedHashMap<String, String> invoke(File parent, VirtualChannel channel) throws IOException {
      if (!parent.isDirectory() && !parent.mkdirs()) {
        throw new IOException("cannot create " + parent);
      }
      return new LocalStepAgent().createKey(parent.getAbsolutePath(), issuerUrl, attestationSha256).toWire();
    }
  }

  private static final class WriteFiles extends MasterToSlaveFileCallable<LinkedHashMap<String, String>> {
    private static final long serialVersionUID = 1L;
    private final LinkedHashMap<String, String> files;

    WriteFiles(LinkedHashMap<String, String> files) {
      this.files = files;
    }

    @Override
    public LinkedHashMap<String, String> invoke(File directory, VirtualChannel channel) {
      return new LocalStepAgent().write(directory.getAbsolutePath(), SvidFiles.fromWire(files)).toWire();
    }
  }

  /** Signs the collecting proof with the key in the task directory; only the proof (a String) comes back. */
  private static final class ProveForApproval extends MasterToSlaveFileCallable<String> {
    private static final long serialVersionUID = 1L;
    private final String issuerUrl;
    private final String approvalId;

    ProveForApproval(String issuerUrl, String approvalId) {
      this.issuerUrl = issuerUrl;
      this.approvalId = approvalId;
    }

    @Override
    public String invoke(File directory, VirtualChannel channel) {
      return new LocalStepAgent().proveForApproval(directory.getAbsolutePath(), issuerUrl, approvalId);
    }
  }

  private static final class Wipe extends MasterToSlaveFileCallable<Void> {
    private static final long serialVersionUID = 1L;

    @Override
    public Void invoke(File directory, VirtualChannel channel) {
      new LocalStepAgent().wipe(directory.getAbsolutePath());
      return null;
    }
  }

  private static final class Sweep extends MasterToSlaveFileCallable<ArrayList<String>> {
    private static final long serialVersionUID = 1L;
    private final HashSet<String> keep;

    Sweep(HashSet<String> keep) {
      this.keep = keep;
    }

    @Override
    public ArrayList<String> invoke(File root, VirtualChannel channel) {
      return new ArrayList<>(LocalStepAgent.sweepStale(root.toPath(), keep, SWEEP_DEPTH));
    }
  }
}
