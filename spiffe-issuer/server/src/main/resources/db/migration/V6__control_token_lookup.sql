-- /revoke authenticates a control token by looking its digest up: the task it controls, or no task at all.
CREATE INDEX tasks_by_control_token ON tasks (control_token_sha256);
