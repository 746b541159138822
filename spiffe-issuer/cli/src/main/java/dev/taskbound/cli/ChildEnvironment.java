package dev.taskbound.cli;

import dev.taskbound.client.AudienceNames;
import dev.taskbound.client.WrittenFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The variables a step sees, named as {@link WrittenFiles#environment} names them for the Jenkins step. They carry
 * paths and identifiers only, never a token: tokens rotate (a variable cannot follow) and environments leak into
 * process listings and crash dumps.
 */
final class ChildEnvironment {
  static final String SVID_DIR = WrittenFiles.SVID_DIR;
  static final String ENDPOINT_SOCKET = "SPIFFE_ENDPOINT_SOCKET";
  /** The role the AWS SDKs assume with {@link WrittenFiles#AWS_WEB_IDENTITY_TOKEN_FILE}. */
  static final String AWS_ROLE_ARN = "AWS_ROLE_ARN";

  private ChildEnvironment() {}

  /**
   * @param audiences the JWT-SVID audiences ({@code TASKBOUND_JWT_<suffix>_FILE} each)
   * @param downstream the exchanged audiences ({@code TASKBOUND_DOWNSTREAM_<suffix>_FILE} each, and
   *     {@code AWS_WEB_IDENTITY_TOKEN_FILE} for {@code sts.amazonaws.com})
   * @param awsRoleArn {@code AWS_ROLE_ARN}, or null
   */
  static Map<String, String> of(
      String issuerUrl, String taskId, String spiffeId, Path dir, List<String> audiences, List<String> downstream,
      String awsRoleArn, String workloadEndpoint) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(SVID_DIR, dir.toAbsolutePath().toString());
    env.put(WrittenFiles.TASK_ID, taskId);
    env.put(WrittenFiles.SPIFFE_ID, spiffeId);
    env.put(WrittenFiles.ISSUER_URL, issuerUrl);
    for (String aud : audiences) {
      env.put(WrittenFiles.tokenFileVariable(aud), dir.resolve(AudienceNames.tokenFile(aud)).toAbsolutePath().toString());
    }
    for (String aud : downstream) {
      String file = dir.resolve(AudienceNames.downstreamFile(aud)).toAbsolutePath().toString();
      env.put(WrittenFiles.downstreamFileVariable(aud), file);
      if (WrittenFiles.AWS_STS_AUDIENCE.equals(aud)) {
        env.put(WrittenFiles.AWS_WEB_IDENTITY_TOKEN_FILE, file);
      }
    }
    if (awsRoleArn != null) {
      env.put(AWS_ROLE_ARN, awsRoleArn);
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
}
