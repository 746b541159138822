package dev.taskbound.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the credential files of a step are, as paths of the file system they were written to (an agent's): the
 * private directory, {@code svid.pem}, {@code svid_key.pem}, {@code bundle.pem}, {@code jwt_svid.token} (null
 * without audiences), one token file per audience and one file per downstream token. Paths only, no secrets.
 */
public final class WrittenFiles {
  public static final String SVID_DIR = "TASKBOUND_SVID_DIR";
  public static final String TASK_ID = "TASKBOUND_TASK_ID";
  public static final String SPIFFE_ID = "TASKBOUND_SPIFFE_ID";
  public static final String ISSUER_URL = "TASKBOUND_ISSUER_URL";
  public static final String SVID_FILE = "TASKBOUND_SVID_FILE";
  public static final String SVID_KEY_FILE = "TASKBOUND_SVID_KEY_FILE";
  public static final String BUNDLE_FILE = "TASKBOUND_BUNDLE_FILE";
  public static final String JWT_SVID_FILE = "TASKBOUND_JWT_SVID_FILE";
  /** The AWS SDKs' and CLI's web-identity convention: set when a token for {@link #AWS_STS_AUDIENCE} was exchanged. */
  public static final String AWS_WEB_IDENTITY_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE";
  public static final String AWS_STS_AUDIENCE = "sts.amazonaws.com";

  private static final String JWT = "jwt:";
  private static final String DOWNSTREAM = "downstream:";

  private final String directory;
  private final String svid;
  private final String svidKey;
  private final String bundle;
  private final String jwtSvid;
  private final LinkedHashMap<String, String> tokenFiles;
  private final LinkedHashMap<String, String> downstreamFiles;

  public WrittenFiles(String directory, String svid, String svidKey, String bundle, String jwtSvid,
      Map<String, String> tokenFiles, Map<String, String> downstreamFiles) {
    this.directory = directory;
    this.svid = svid;
    this.svidKey = svidKey;
    this.bundle = bundle;
    this.jwtSvid = jwtSvid;
    this.tokenFiles = new LinkedHashMap<>(tokenFiles);
    this.downstreamFiles = new LinkedHashMap<>(downstreamFiles);
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

  /** Downstream audience → the file of its exchanged token. */
  public Map<String, String> downstreamFiles() {
    return new LinkedHashMap<>(downstreamFiles);
  }

  /** {@code TASKBOUND_JWT_<suffix>_FILE}, as the {@code taskbound} CLI names it. */
  public static String tokenFileVariable(String audience) {
    return "TASKBOUND_JWT_" + AudienceNames.envSuffix(audience) + "_FILE";
  }

  /** {@code TASKBOUND_DOWNSTREAM_<suffix>_FILE}: the file of the token exchanged for {@code audience}. */
  public static String downstreamFileVariable(String audience) {
    return "TASKBOUND_DOWNSTREAM_" + AudienceNames.envSuffix(audience) + "_FILE";
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
    downstreamFiles.forEach((aud, path) -> env.put(downstreamFileVariable(aud), path));
    if (downstreamFiles.containsKey(AWS_STS_AUDIENCE)) {
      env.put(AWS_WEB_IDENTITY_TOKEN_FILE, downstreamFiles.get(AWS_STS_AUDIENCE));
    }
    return env;
  }

  /** Plain strings for a remote call's answer. */
  public LinkedHashMap<String, String> toWire() {
    LinkedHashMap<String, String> wire = new LinkedHashMap<>();
    wire.put("directory", directory);
    wire.put("svid", svid);
    wire.put("svid_key", svidKey);
    wire.put("bundle", bundle);
    if (jwtSvid != null) {
      wire.put("jwt_svid", jwtSvid);
    }
    tokenFiles.forEach((aud, path) -> wire.put(JWT + aud, path));
    downstreamFiles.forEach((aud, path) -> wire.put(DOWNSTREAM + aud, path));
    return wire;
  }

  public static WrittenFiles fromWire(Map<String, String> wire) {
    LinkedHashMap<String, String> tokens = Wire.prefixed(wire, JWT);
    LinkedHashMap<String, String> downstream = Wire.prefixed(wire, DOWNSTREAM);
    return new WrittenFiles(Wire.required(wire, "directory"), Wire.required(wire, "svid"), Wire.required(wire, "svid_key"),
        Wire.required(wire, "bundle"), wire.get("jwt_svid"), tokens, downstream);
  }

  @Override
  public String toString() {
    return "WrittenFiles[" + directory + "]";
  }
}
