/**
 * Task lifecycle: the state machine of one CI step's identity, from begin through renewals to end, and the reaper
 * that ends the tasks whose heartbeat or lifetime ran out.
 */
package dev.taskbound.issuer.task;
