-- Control tokens now carry their task's id (dev.taskbound.issuer.task.ControlTokens), so a bearer control token is
-- checked against its task by primary key. The index on digests cost a random page per begin.
DROP INDEX tasks_by_control_token;
