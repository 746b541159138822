/**
 * The issuer as a token service for relying parties: RFC 8693 token exchange (a task's SVID buys a downstream JWT),
 * RFC 7662 introspection, RFC 7009 revocation, OpenID Connect discovery, and the in-memory revocation state that
 * keeps those hot paths off the store. No HTTP here: the {@code http} package maps the wire format onto it.
 */
package dev.taskbound.issuer.exchange;
