package dev.taskbound.client;

import java.io.IOException;

/**
 * Where a step's key and files live when that is not where the issuer is called from: a Jenkins agent, reached
 * from the controller through remoting. Every argument and answer is a plain {@link java.io.Serializable} value,
 * so an adapter can carry them in its own remote calls; {@link LocalStepAgent} runs them in-process.
 */
public interface StepAgent {
  /**
   * Generates the task key in a fresh private directory (under {@code parent}, or the system temp dir when null),
   * writes {@code svid_key.pem} there and signs the proof of possession over the attestation's digest. Nothing is
   * left behind when it fails.
   */
  KeyOffer createKey(String parent, String issuerUrl, String attestationSha256) throws IOException, InterruptedException;

  /** Writes (or replaces, atomically) the SVID files into {@code directory}. */
  WrittenFiles write(String directory, SvidFiles files) throws IOException, InterruptedException;

  /** Deletes {@code directory} and everything in it; safe to repeat. */
  void wipe(String directory) throws IOException, InterruptedException;

  /**
   * Signs, with the key {@link #createKey} left in {@code directory}, the proof that collects the task of approved
   * request {@code approvalId} ({@link TaskKey#proofForApproval}).
   */
  default String proveForApproval(String directory, String issuerUrl, String approvalId) throws IOException, InterruptedException {
    throw new UnsupportedOperationException("this step agent cannot collect an approved task");
  }
}
