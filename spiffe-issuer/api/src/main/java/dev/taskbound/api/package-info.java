/**
 * Wire contracts of the Taskbound HTTP API v1: request and response records, problem types, and the
 * proof-of-possession claims that client and issuer must agree on. No logic lives here.
 */
package dev.taskbound.api;
