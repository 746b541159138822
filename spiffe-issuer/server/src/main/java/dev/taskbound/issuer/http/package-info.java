/**
 * HTTP API v1 on Jetty 12: routing, body limits, RFC 9457 problems, and the wire format of the OAuth endpoints
 * ({@code /token}, {@code /introspect}, {@code /revoke}: form-encoded, RFC 6749 error JSON) and OIDC discovery.
 * Only maps requests onto the task and exchange layers; optional mutual TLS checks client X.509-SVIDs.
 */
package dev.taskbound.issuer.http;
