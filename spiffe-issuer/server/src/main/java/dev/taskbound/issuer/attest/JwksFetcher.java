package dev.taskbound.issuer.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import dev.taskbound.api.ApiJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Fetches public keys over HTTPS with the JDK client: an OIDC issuer's discovery document and its
 * {@code jwks_uri}, or a JWKS URL directly. Plain HTTP is accepted only on loopback (tests, sidecars). Redirects
 * are not followed and responses are capped, so a misbehaving publisher cannot stall or flood the issuer.
 */
public final class JwksFetcher {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_RESPONSE_BYTES = 1024 * 1024;
  private static final String DISCOVERY_PATH = "/.well-known/openid-configuration";

  private final Supplier<HttpClient> http;
  private final Duration timeout;

  public JwksFetcher(HttpClient http, Duration timeout) {
    Objects.requireNonNull(http, "http");
    this.http = () -> http;
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  private JwksFetcher(Supplier<HttpClient> http, Duration timeout) {
    this.http = http;
    this.timeout = timeout;
  }

  /**
   * A fetcher with its own client: 5 s to connect, 10 s per request, no redirects. The client is built on the first
   * fetch: building it loads the JDK's trust store and starts a selector thread, which start-up (and a command or an
   * issuer that never fetches keys) should not wait for.
   */
  public static JwksFetcher withDefaults() {
    return new JwksFetcher(new DefaultClient(), DEFAULT_TIMEOUT);
  }

  /** The client of {@link #withDefaults()}, built once, on first use. */
  private static final class DefaultClient implements Supplier<HttpClient> {
    private HttpClient client;

    @Override
    public synchronized HttpClient get() {
      if (client == null) {
        client =
            HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
      }
      return client;
    }
  }

  /**
   * Reads {@code issuer + /.well-known/openid-configuration}, checks that it names the same issuer (OIDC
   * Discovery 1.0 §4.3) and returns its {@code jwks_uri}.
   */
  public URI discoverJwksUri(String issuer) {
    JsonNode doc = discovery(issuer);
    JsonNode jwksUri = doc.path("jwks_uri");
    if (!jwksUri.isTextual()) {
      throw new AttestationException("discovery document of " + issuer + " has no jwks_uri");
    }
    return checkedUri(jwksUri.asText());
  }

  /**
   * The discovery document {@code issuer + /.well-known/openid-configuration}, once checked that it names the same
   * issuer (OIDC Discovery 1.0 §4.3).
   */
  public JsonNode discovery(String issuer) {
    URI discovery = checkedUri(stripTrailingSlash(issuer) + DISCOVERY_PATH);
    JsonNode doc;
    try {
      doc = ApiJson.mapper().readTree(get(discovery));
    } catch (IOException e) {
      throw new AttestationException("discovery document of " + issuer + " is not JSON");
    }
    if (doc == null || !doc.path("issuer").isTextual() || !issuer.equals(doc.path("issuer").asText())) {
      throw new AttestationException("discovery document of " + issuer + " names a different issuer");
    }
    return doc;
  }

  /** Fetches and parses a JWKS; only the public parts of its keys are returned. */
  public JWKSet fetchJwks(URI jwksUri) {
    String body = fetchRawJwks(jwksUri);
    try {
      return JWKSet.parse(body).toPublicJWKSet();
    } catch (java.text.ParseException e) {
      throw new AttestationException("JWKS at " + jwksUri + " does not parse");
    }
  }

  /** The JWKS document as published, for validating what a publisher exposes (e.g. no private keys). */
  public String fetchRawJwks(URI jwksUri) {
    return get(checkedUri(jwksUri.toString()));
  }

  /** Keys of an OIDC issuer, found through its discovery document, cached and refreshed by {@link CachedJwks}. */
  public JwksSource oidcIssuerKeys(String issuer, java.time.Clock clock) {
    return new CachedJwks(() -> fetchJwks(discoverJwksUri(issuer)), clock);
  }

  /** Keys at a JWKS URL, cached and refreshed by {@link CachedJwks}. */
  public JwksSource jwksUrlKeys(URI jwksUri, java.time.Clock clock) {
    return new CachedJwks(() -> fetchJwks(jwksUri), clock);
  }

  private String get(URI uri) {
    HttpRequest request =
        HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET().build();
    try {
      HttpResponse<InputStream> response = http.get().send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        if (response.statusCode() != 200) {
          throw new AttestationException("GET " + uri + " answered HTTP " + response.statusCode());
        }
        byte[] body = in.readNBytes(MAX_RESPONSE_BYTES + 1);
        if (body.length > MAX_RESPONSE_BYTES) {
          throw new AttestationException("GET " + uri + " answered more than " + MAX_RESPONSE_BYTES + " bytes");
        }
        return new String(body, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new AttestationException("GET " + uri + " failed: " + e.getClass().getSimpleName(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AttestationException("GET " + uri + " was interrupted", e);
    }
  }

  /** HTTPS anywhere; plain HTTP only to a loopback address. Throws {@link AttestationException} otherwise. */
  public static URI checkedUri(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (java.net.URISyntaxException e) {
      throw new AttestationException("key URL is not a valid URI: " + text);
    }
    if (!uri.isAbsolute() || uri.getHost() == null) {
      throw new AttestationException("key URL must be absolute: " + text);
    }
    if ("https".equals(uri.getScheme())) {
      return uri;
    }
    if ("http".equals(uri.getScheme()) && isLoopback(uri.getHost())) {
      return uri;
    }
    throw new AttestationException("key URL must use https (plain http only on loopback): " + text);
  }

  private static boolean isLoopback(String host) {
    if ("localhost".equalsIgnoreCase(host)) {
      return true;
    }
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    // Only literal addresses: resolving a name here would let DNS decide whether plain HTTP is allowed.
    if (!bare.matches("[0-9.]+") && !bare.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(bare).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static String stripTrailingSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
