package dev.taskbound.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Where a step gets the token that proves who it is. The client only carries {@code {type, token}}; the issuer's
 * attestor of that type verifies it. Error messages name variables and files, never token contents.
 */
public final class Attestations {
  public static final String DEV = "dev";
  public static final String GITHUB = "github";
  public static final String OIDC_PREFIX = "oidc:";

  public static final String GITHUB_REQUEST_URL = "ACTIONS_ID_TOKEN_REQUEST_URL";
  public static final String GITHUB_REQUEST_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

  private Attestations() {}

  public static Attestation dev(String token) {
    return new Attestation(DEV, requireToken(token, "dev token"));
  }

  /** A token of {@code type} ({@code github}, {@code oidc:<name>}, …) read from a file, surrounding blanks trimmed. */
  public static Attestation fromFile(String type, Path file) {
    try {
      return new Attestation(checkType(type), requireToken(Files.readString(file, StandardCharsets.UTF_8).strip(), "token file " + file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read attestation token file " + file, e);
    }
  }

  /** A token of {@code type} held in environment variable {@code variable}. */
  public static Attestation fromEnv(String type, Map<String, String> env, String variable) {
    String token = env.get(variable);
    return new Attestation(checkType(type), requireToken(token == null ? null : token.strip(), "environment variable " + variable));
  }

  /** Whether this looks like a GitHub Actions job with {@code permissions: id-token: write}. */
  public static boolean inGitHubActions(Map<String, String> env) {
    return notBlank(env.get(GITHUB_REQUEST_URL)) && notBlank(env.get(GITHUB_REQUEST_TOKEN));
  }

  public static Attestation fromGitHubActions(Map<String, String> env, String issuerUrl) {
    return fromGitHubActions(env, issuerUrl, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
  }

  /**
   * Asks the GitHub Actions runtime for an OIDC token whose audience is the issuer: {@code GET
   * $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<issuer url>} with {@code Authorization: bearer
   * $ACTIONS_ID_TOKEN_REQUEST_TOKEN}; the answer is {@code {"value": "<jwt>"}}.
   */
  public static Attestation fromGitHubActions(Map<String, String> env, String issuerUrl, HttpClient http) {
    if (!inGitHubActions(env)) {
      throw new IllegalStateException(
          GITHUB_REQUEST_URL + " and " + GITHUB_REQUEST_TOKEN + " are not set: is this a GitHub Actions job with "
              + "'permissions: id-token: write'?");
    }
    String base = env.get(GITHUB_REQUEST_URL);
    URI uri = URI.create(base + (base.contains("?") ? "&" : "?") + "audience=" + URLEncoder.encode(issuerUrl, StandardCharsets.UTF_8));
    HttpRequest req =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "bearer " + env.get(GITHUB_REQUEST_TOKEN))
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<String> resp;
    try {
      resp = http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reach the GitHub Actions OIDC token endpoint", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while fetching the GitHub Actions OIDC token", e);
    }
    if (resp.statusCode() != 200) {
      throw new IllegalStateException("the GitHub Actions OIDC token endpoint answered HTTP " + resp.statusCode());
    }
    String value;
    try {
      JsonNode body = ApiJson.mapper().readTree(resp.body());
      value = body.path("value").asText(null);
    } catch (IOException e) {
      throw new IllegalStateException("the GitHub Actions OIDC token endpoint answered something that is not JSON");
    }
    return new Attestation(GITHUB, requireToken(value, "the GitHub Actions OIDC answer"));
  }

  private static String checkType(String type) {
    if (type == null || !(type.equals(DEV) || type.equals(GITHUB) || type.equals("jenkins")
        || (type.startsWith(OIDC_PREFIX) && type.substring(OIDC_PREFIX.length()).matches("[A-Za-z0-9._-]+")))) {
      throw new IllegalArgumentException("attestation type must be dev, github, jenkins or oidc:<name>, not " + type);
    }
    return type;
  }

  private static String requireToken(String token, String where) {
    if (!notBlank(token)) {
      throw new IllegalArgumentException("no attestation token in " + where);
    }
    return token;
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }
}
