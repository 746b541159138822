-- Taskbound store, version 8 (PostgreSQL): triggers for replicas.
--
-- 1. Revocations are announced with NOTIFY in the transaction that makes them, so every replica listening on
--    taskbound_revoked_<schema> hears of them at commit (and never of one that rolled back). Payloads:
--      t <expires_at ms> <task_id>                 a task ended
--      c <kind> <expires_at ms> <credential_id>    a credential revoked on its own (/revoke)
--    A task's end also revokes its credentials; those are covered by the task's line, not repeated.
-- 2. A task's end queues its Shared Signals in ssf_outbox in the same transaction.

CREATE FUNCTION taskbound_task_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('taskbound_revoked_' || TG_TABLE_SCHEMA, 't ' || NEW.expires_at || ' ' || NEW.task_id);
  EXECUTE format('INSERT INTO %I.ssf_outbox (task_id, ended_at) VALUES ($1, $2) ON CONFLICT (task_id) DO NOTHING',
                 TG_TABLE_SCHEMA)
    USING NEW.task_id, NEW.ended_at;
  RETURN NULL;
END $$;

CREATE TRIGGER tasks_ended AFTER UPDATE OF state ON tasks
  FOR EACH ROW WHEN (OLD.state = 'active' AND NEW.state = 'ended')
  EXECUTE FUNCTION taskbound_task_ended();

CREATE FUNCTION taskbound_credential_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  task_state TEXT;
BEGIN
  EXECUTE format('SELECT state FROM %I.tasks WHERE task_id = $1', TG_TABLE_SCHEMA) INTO task_state USING NEW.task_id;
  IF task_state = 'active' THEN
    PERFORM pg_notify('taskbound_revoked_' || TG_TABLE_SCHEMA,
                      'c ' || NEW.kind || ' ' || NEW.expires_at || ' ' || NEW.credential_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER credentials_revoked AFTER UPDATE OF revoked_at ON credentials
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION taskbound_credential_revoked();
