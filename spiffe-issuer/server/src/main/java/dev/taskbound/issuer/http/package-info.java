/** HTTP API v1 on Jetty 12: routing, body limits, RFC 9457 problems. Only maps requests onto the task layer. */
package dev.taskbound.issuer.http;
