/** Task lifecycle: the state machine of one CI step's identity, from begin through renewals to end. */
package dev.taskbound.issuer.task;
