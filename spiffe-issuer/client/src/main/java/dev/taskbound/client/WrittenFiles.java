package dev.taskbound.client;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the credential files of a step are, as paths of the file system they were written to (an agent's): the
 * private directory, {@code svid.pem}, {@code svid_key.pem}, {@code bundle.pem}, {@code jwt_svid.token} (null
 * without audiences) and one token file per audience. Paths only, no secrets.
 */
public final class WrittenFiles implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String SVID_DIR = "TASKBOUND_SVID_DIR";
  public static final String TASK_ID = "TASKBOUND_TASK_ID";
  public static final String SPIFFE_ID = "TASKBOUND_SPIFFE_ID";
  public static final String ISSUER_URL = "TASKBOUND_ISSUER_URL";
  public static final String SVID_FILE = "TASKBOUND_SVID_FILE";
  public static final String SVID_KEY_FILE = "TASKBOUND_SVID_KEY_FILE";
  public static final String BUNDLE_FILE = "TASKBOUND_BUNDLE_FILE";
  public static final String JWT_SVID_FILE = "TASKBOUND_JWT_SVID_FILE";

  private final String directory;
  private final String svid;
  private final String svidKey;
  private final String bundle;
  private final String jwtSvid;
  private final LinkedHashMap<String, String> tokenFiles;

  public WrittenFiles(String directory, String svid, String svidKey, String bundle, String jwtSvid, Map<String, String> tokenFiles) {
    this.directory = directory;
    this.svid = svid;
    this.svidKey = svidKey;
    this.bundle = bundle;
    this.jwtSvid = jwtSvid;
    this.tokenFiles = new LinkedHashMap<>(tokenFiles);
  }

  public String directory() {
    return directory;
  }

  public String svid() {
    return svid;
  }

  public String svidKey() {
    return svidKey;
  }

  public String bundle() {
    return bundle;
  }

  /** {@code jwt_svid.token} (the first audience's JWT-SVID), or null when the task asked for no audience. */
  public String jwtSvid() {
    return jwtSvid;
  }

  /** Audience → its token file, in the order the audiences were asked for. */
  public Map<String, String> tokenFiles() {
    return new LinkedHashMap<>(tokenFiles);
  }

  /** {@code TASKBOUND_JWT_<suffix>_FILE}, as the {@code taskbound} CLI names it. */
  public static String tokenFileVariable(String audience) {
    return "TASKBOUND_JWT_" + AudienceNames.envSuffix(audience) + "_FILE";
  }

  /**
   * The variables a step body sees, the same names the {@code taskbound run} CLI gives its child (plus the single
   * file paths): paths and identifiers, never a token, so they stay right when renewals replace the files.
   */
  public Map<String, String> environment(String issuerUrl, String taskId, String spiffeId) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put(SVID_DIR, directory);
    env.put(TASK_ID, taskId);
    env.put(SPIFFE_ID, spiffeId);
    env.put(ISSUER_URL, issuerUrl);
    env.put(SVID_FILE, svid);
    env.put(SVID_KEY_FILE, svidKey);
    env.put(BUNDLE_FILE, bundle);
    if (jwtSvid != null) {
      env.put(JWT_SVID_FILE, jwtSvid);
    }
    tokenFiles.forEach((aud, path) -> env.put(tokenFileVariable(aud), path));
    return env;
  }

  @Override
  public String toString() {
    return "WrittenFiles[" + directory + "]";
  }
}
