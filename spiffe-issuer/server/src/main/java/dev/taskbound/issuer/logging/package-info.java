/**
 * The issuer's own log: text or JSON lines on stderr ({@code log.format}), and the task fields ({@code task_id},
 * {@code spiffe_id}) carried by every line logged while a task is being served. Nothing here logs secrets; it only
 * decides how lines look and which identifiers they carry.
 */
package dev.taskbound.issuer.logging;
