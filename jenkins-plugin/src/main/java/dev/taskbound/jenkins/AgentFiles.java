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
import jenkins.MasterToSlaveFileCallable;

/**
 * {@link StepAgent} on the node a step runs on, through remoting: the key is generated there and written only
 * there, under the workspace's {@code @tmp} directory; only the public key, the proof and file paths come back.
 */
final class AgentFiles implements StepAgent {
  private final FilePath tempDir;

  /** @param tempDir the workspace's temp dir ({@code WorkspaceList.tempDir(workspace)}) on the step's node */
  AgentFiles(FilePath tempDir) {
    this.tempDir = tempDir;
  }

  @Override
  public KeyOffer createKey(String parent, String issuerUrl, String attestationSha256) throws IOException, InterruptedException {
    FilePath where = parent == null ? tempDir : new FilePath(tempDir.getChannel(), parent);
    return where.act(new CreateKey(issuerUrl, attestationSha256));
  }

  @Override
  public WrittenFiles write(String directory, SvidFiles files) throws IOException, InterruptedException {
    return new FilePath(tempDir.getChannel(), directory).act(new WriteFiles(files));
  }

  @Override
  public void wipe(String directory) throws IOException, InterruptedException {
    new FilePath(tempDir.getChannel(), directory).act(new Wipe());
  }

  private static final class CreateKey extends MasterToSlaveFileCallable<KeyOffer> {
    private static final long serialVersionUID = 1L;
    private final String issuerUrl;
    private final String attestationSha256;

    CreateKey(String issuerUrl, String attestationSha256) {
      this.issuerUrl = issuerUrl;
      this.attestationSha256 = attestationSha256;
    }

    @Override
    public KeyOffer invoke(File parent, VirtualChannel channel) throws IOException {
      if (!parent.isDirectory() && !parent.mkdirs()) {
        throw new IOException("cannot create " + parent);
      }
      return new LocalStepAgent().createKey(parent.getAbsolutePath(), issuerUrl, attestationSha256);
    }
  }

  private static final class WriteFiles extends MasterToSlaveFileCallable<WrittenFiles> {
    private static final long serialVersionUID = 1L;
    private final SvidFiles files;

    WriteFiles(SvidFiles files) {
      this.files = files;
    }

    @Override
    public WrittenFiles invoke(File directory, VirtualChannel channel) {
      return new LocalStepAgent().write(directory.getAbsolutePath(), files);
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
}
