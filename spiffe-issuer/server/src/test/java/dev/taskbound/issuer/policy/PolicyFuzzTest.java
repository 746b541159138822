package dev.taskbound.issuer.policy;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Policy files: anything may be written into one, and the issuer reloads it while serving. Loading either gives a
 * policy or an {@link InvalidPolicyException}; any other exception would take the watcher down. Seeds: {@code
 * src/test/resources/.../PolicyFuzzTestInputs}.
 */
class PolicyFuzzTest {
  @FuzzTest(maxDuration = "5s")
  void policyFilesLoadOrAreRefused(byte[] yaml) {
    try {
      Policy.parse(yaml);
    } catch (InvalidPolicyException refused) {
      // The documented answer to a bad file.
    }
  }
}
