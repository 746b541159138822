package dev.taskbound.issuer.policy;

import dev.taskbound.issuer.ca.SpiffeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SPIFFE ID template such as {@code spiffe://{trust_domain}/ci/github/{ci.repository:path}/run/{ci.run_id}}.
 *
 * <p>The authority is always {@code {trust_domain}} (the issuer can only sign in its own trust domain). Each path
 * segment is a literal, or one {@code {ci.KEY}} placeholder with optional literal prefix and suffix (one placeholder
 * per segment: two could trade characters and two contexts would share an ID). A placeholder value is encoded with
 * {@link SegmentCodec} so it stays inside its segment. {@code {ci.KEY:path}} must fill whole segments: the value is
 * split at {@code /} and each part encoded, so a Jenkins folder path keeps its shape; a template may hold at most
 * one, which keeps the segments around it at fixed positions and the whole ID injective.
 */
public final class SpiffeIdTemplate {
  private static final String AUTHORITY = "spiffe://{trust_domain}";
  private static final Pattern LITERAL = Pattern.compile("[A-Za-z0-9._-]*");
  private static final Pattern PLACEHOLDER = Pattern.compile("ci\\.([A-Za-z0-9_]+)(:path)?");

  private final String source;
  private final List<Segment> segments;

  /** One path segment: {@code prefix + encode(ci[key]) + suffix}, or just {@code prefix} when {@code key} is null. */
  private record Segment(String prefix, String key, boolean spread, String suffix) {}

  private SpiffeIdTemplate(String source, List<Segment> segments) {
    this.source = source;
    this.segments = List.copyOf(segments);
  }

  /**
   * GitHub Actions: {@code spiffe://TD/ci/github/OWNER/REPO/run/RUN_ID/attempt/N/job/JOB}, from the context keys
   * {@code repository} ({@code owner/repo}), {@code run_id}, {@code run_attempt} and {@code job}.
   */
  public static SpiffeIdTemplate defaultGithub() {
    return parse(
        "spiffe://{trust_domain}/ci/github/{ci.repository:path}/run/{ci.run_id}/attempt/{ci.run_attempt}"
            + "/job/{ci.job}");
  }

  /**
   * Jenkins: {@code spiffe://TD/ci/jenkins/CONTROLLER/job/FOLDER…/JOB/build/N/step/FLOW_NODE_ID}, from the context
   * keys {@code controller}, {@code job} (the full name, folders separated by {@code /}), {@code build_number} and
   * {@code flow_node_id}.
   */
  public static SpiffeIdTemplate defaultJenkins() {
    return parse(
        "spiffe://{trust_domain}/ci/jenkins/{ci.controller}/job/{ci.job:path}/build/{ci.build_number}"
            + "/step/{ci.flow_node_id}");
  }

  /**
   * Parses and validates a template.
   *
   * @throws IllegalArgumentException naming what is wrong with it
   */
  public static SpiffeIdTemplate parse(String template) {
    if (template == null || !template.startsWith(AUTHORITY + "/")) {
      throw new IllegalArgumentException("spiffe_id must start with '" + AUTHORITY + "/'");
    }
    String path = template.substring(AUTHORITY.length() + 1);
    List<Segment> segments = new ArrayList<>();
    boolean spreadSeen = false;
    for (String text : path.split("/", -1)) {
      Segment segment = parseSegment(text);
      if (segment.spread()) {
        if (spreadSeen) {
          throw new IllegalArgumentException("spiffe_id may hold at most one {ci.KEY:path} placeholder");
        }
        spreadSeen = true;
      }
      segments.add(segment);
    }
    return new SpiffeIdTemplate(template, segments);
  }

  private static Segment parseSegment(String text) {
    int open = text.indexOf('{');
    if (open < 0) {
      if (text.indexOf('}') >= 0) {
        throw new IllegalArgumentException("unbalanced '}' in segment '" + text + "'");
      }
      if (text.isEmpty() || text.equals(".") || text.equals("..") || !LITERAL.matcher(text).matches()) {
        throw new IllegalArgumentException(
            "segment '" + text + "' must be [A-Za-z0-9._-]+ and neither '.' nor '..'");
      }
      return new Segment(text, null, false, "");
    }
    int close = text.indexOf('}', open);
    if (close < 0) {
      throw new IllegalArgumentException("unbalanced '{' in segment '" + text + "'");
    }
    String prefix = text.substring(0, open);
    String suffix = text.substring(close + 1);
    if (suffix.indexOf('{') >= 0 || suffix.indexOf('}') >= 0 || prefix.indexOf('}') >= 0) {
      throw new IllegalArgumentException(
          "segment '" + text + "' holds more than one placeholder; use one per segment so IDs stay unique");
    }
    if (!LITERAL.matcher(prefix).matches() || !LITERAL.matcher(suffix).matches()) {
      throw new IllegalArgumentException("literal text in segment '" + text + "' must be [A-Za-z0-9._-]");
    }
    String name = text.substring(open + 1, close);
    Matcher placeholder = PLACEHOLDER.matcher(name);
    if (!placeholder.matches()) {
      throw new IllegalArgumentException(
          "unknown placeholder {" + name + "}: use {ci.KEY} or {ci.KEY:path} in the path");
    }
    boolean spread = placeholder.group(2) != null;
    if (spread && !(prefix.isEmpty() && suffix.isEmpty())) {
      throw new IllegalArgumentException("{" + name + "} must fill its segments alone");
    }
    return new Segment(prefix, placeholder.group(1), spread, suffix);
  }

  /**
   * Fills the template.
   *
   * @param maxLength the longest ID allowed, at most {@link SpiffeId#MAX_LENGTH}
   * @throws SpiffeIdTemplateException if a key is missing, a value is not well-formed Unicode or the ID is too long
   */
  public SpiffeId render(String trustDomain, Map<String, String> ci, int maxLength)
      throws SpiffeIdTemplateException {
    int limit = Math.min(maxLength, SpiffeId.MAX_LENGTH);
    int authorityLength = "spiffe://".length() + trustDomain.length();
    StringBuilder path = new StringBuilder();
    for (Segment segment : segments) {
      if (segment.key() == null) {
        path.append('/').append(segment.prefix());
      } else {
        String value = ci.get(segment.key());
        if (value == null) {
          throw new SpiffeIdTemplateException("ci." + segment.key() + " is not in the context");
        }
        try {
          if (segment.spread()) {
            for (String part : value.split("/", -1)) {
              path.append('/').append(SegmentCodec.encode(part));
            }
          } else {
            path.append('/').append(segment.prefix()).append(SegmentCodec.encode(value)).append(segment.suffix());
          }
        } catch (IllegalArgumentException e) {
          throw new SpiffeIdTemplateException("ci." + segment.key() + " is not well-formed Unicode");
        }
      }
      if (authorityLength + path.length() > limit) {
        break; // reported below; no need to keep growing a value that is already over the limit
      }
    }
    if (authorityLength + path.length() > limit) {
      throw new SpiffeIdTemplateException("SPIFFE ID would be longer than " + limit + " bytes");
    }
    return new SpiffeId(trustDomain, path.toString());
  }

  @Override
  public String toString() {
    return source;
  }
}
