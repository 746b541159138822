/**
 * The standing-privilege exception register: the standing privileges an organisation still has (a deploy key not yet
 * migrated, a break-glass account), each with an owner, a reason, a bounded expiry and periodic reviews. Every
 * change is evidence in the log (with the operator who made it); expired and unreviewed exceptions are counted for
 * metrics and raised once as Shared Signals events. Knows nothing of HTTP: the admin API and the operator commands
 * call it.
 */
package dev.taskbound.issuer.exceptions;
