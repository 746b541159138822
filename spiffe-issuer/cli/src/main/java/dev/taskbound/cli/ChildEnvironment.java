package dev.taskbound.cli;

import dev.taskbound.client.AudienceNames;
import dev.taskbound.client.CredentialDirectory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The variables a step sees. They carry paths and identifiers only, never a token: tokens rotate (a variable
 * cannot follow) and environments leak into process listings and crash dumps.
 */
final class ChildEnvironment {
  static final String SVID_DIR = "TASKBOUND_SVID_DIR";
  static final String TASK_ID = "TASKBOUND_TASK_ID";
  static final String SPIFFE_ID = "TASKBOUND_SPIFFE_ID";
  static final String ISSUER_URL = "TASKBOUND_ISSUER_URL";
  static final String ENDPOINT_SOCKET = "SPIFFE_ENDPOINT_SOCKET";

  private ChildEnvironment() {}

  /** {@code TASKBOUND_JWT_<suffix>_FILE}: the path of the audience's JWT-SVID file. */
  static String jwtVariable(String audience) {
    return "TASKBOUND_JWT_" + AudienceNames.envSuffix(audience) + "_FILE";
  }

  static Map<String, String> of(
      String issuerUrl, String taskId, String spiffeId, Path dir, List<String> audiences, String workloadEndpoint) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(SVID_DIR, dir.toAbsolutePath().toString());
    env.put(TASK_ID, taskId);
    env.put(SPIFFE_ID, spiffeId);
    env.put(ISSUER_URL, issuerUrl);
    for (String aud : audiences) {
      env.put(jwtVariable(aud), dir.resolve(AudienceNames.tokenFile(aud)).toAbsolutePath().toString());
    }
    if (workloadEndpoint != null) {
      env.put(ENDPOINT_SOCKET, workloadEndpoint);
    }
    return env;
  }

  /** Lines a POSIX shell can {@code eval}: values single-quoted, so no path can inject a command. */
  static String exportLines(Map<String, String> env) {
    StringBuilder out = new StringBuilder();
    env.forEach((k, v) -> out.append("export ").append(k).append("='").append(v.replace("'", "'\\''")).append("'\n"));
    return out.toString();
  }

  static String credentialFileList() {
    return CredentialDirectory.SVID + ", " + CredentialDirectory.SVID_KEY + ", " + CredentialDirectory.BUNDLE;
  }
}
