package dev.taskbound.issuer.exchange;

/**
 * The RFC 8693 §2.2.1 response. {@code token_type} is {@code N_A}: the downstream token is an assertion a relying
 * party exchanges or verifies (AWS STS, GCP STS, Azure, Vault), not an OAuth access token used as a bearer.
 */
public record IssuedToken(String accessToken, String issuedTokenType, String tokenType, long expiresIn) {
  @Override
  public String toString() {
    return "IssuedToken[issuedTokenType=" + issuedTokenType + ", expiresIn=" + expiresIn + "]";
  }
}
