-- Taskbound store, version 8 (SQLite): a task's end queues its Shared Signals in ssf_outbox in the same
-- transaction. (No NOTIFY here: one process owns a SQLite file, and it tells itself.)

CREATE TRIGGER tasks_ended AFTER UPDATE OF state ON tasks
  FOR EACH ROW WHEN OLD.state = 'active' AND NEW.state = 'ended'
BEGIN
  INSERT INTO ssf_outbox (task_id, ended_at) VALUES (NEW.task_id, NEW.ended_at) ON CONFLICT (task_id) DO NOTHING;
END;
