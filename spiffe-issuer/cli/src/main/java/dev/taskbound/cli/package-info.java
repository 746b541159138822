/**
 * The {@code taskbound} command: {@code run} wraps one CI step in a task (begin, environment, signals, end,
 * evidence summary); {@code begin}/{@code renew}/{@code end} do the same in pieces for shells. All issuer work is
 * the client core's ({@link dev.taskbound.client.TaskSession}); this package only adapts it to a process.
 */
package dev.taskbound.cli;
