package dev.taskbound.issuer.ca;

import java.net.URI;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A SPIFFE ID, validated per the SPIFFE ID specification: lower-case trust domain of {@code [a-z0-9.-_]}, path
 * segments of {@code [A-Za-z0-9.-_]} that are neither empty, {@code .} nor {@code ..}, no query or fragment, at
 * most 2048 bytes.
 */
public record SpiffeId(String trustDomain, String path) {
  public static final int MAX_LENGTH = 2048;
  private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

  public SpiffeId {
    Objects.requireNonNull(trustDomain, "trust domain");
    Objects.requireNonNull(path, "path");
    if (!TRUST_DOMAIN.matcher(trustDomain).matches()) {
      throw new IllegalArgumentException("trust domain must be lower-case [a-z0-9._-]: " + trustDomain);
    }
    if (!path.isEmpty()) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("path must start with '/'");
      }
      for (String segment : path.substring(1).split("/", -1)) {
        if (segment.equals(".") || segment.equals("..") || !SEGMENT.matcher(segment).matches()) {
          throw new IllegalArgumentException("invalid path segment in SPIFFE ID: '" + segment + "'");
        }
      }
    }
    if (("spiffe://" + trustDomain + path).length() > MAX_LENGTH) {
      throw new IllegalArgumentException("SPIFFE ID longer than " + MAX_LENGTH + " bytes");
    }
  }

  public static SpiffeId parse(String id) {
    if (id == null || !id.startsWith("spiffe://")) {
      throw new IllegalArgumentException("not a SPIFFE ID: scheme must be spiffe");
    }
    String rest = id.substring("spiffe://".length());
    int slash = rest.indexOf('/');
    return slash < 0 ? new SpiffeId(rest, "") : new SpiffeId(rest.substring(0, slash), rest.substring(slash));
  }

  public URI toUri() {
    return URI.create(toString());
  }

  @Override
  public String toString() {
    return "spiffe://" + trustDomain + path;
  }
}
