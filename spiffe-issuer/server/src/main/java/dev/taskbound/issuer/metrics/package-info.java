/**
 * Prometheus metrics ({@code GET /metrics}): every name and tag in {@link dev.taskbound.issuer.metrics.MetricNames},
 * tags from closed sets only (never a task id, SPIFFE ID, repository or {@code jti}), the store counted and timed
 * by a decorator ({@link dev.taskbound.issuer.metrics.MeteredStore}), requests by a Jetty handler wrapper. The
 * table of names is in {@code docs/operations.md}; {@code MetricNamesTest} pins it.
 */
package dev.taskbound.issuer.metrics;
