-- Taskbound store, version 13 (SQLite): the ends whose revocation receipt was not kept yet.
--
-- Every few seconds the issuer logs the ends that have no receipt (ended while the evidence log was unavailable, or
-- by an operator command). Tasks are never deleted, so finding those among all tasks read every task that ever
-- ended, a little longer each day. The triggers keep them in a table of their own, empty most of the time, in the
-- transaction that ends the task or keeps its receipt, whichever code ends it.

CREATE TABLE ends_without_receipt (
    task_id  TEXT   NOT NULL PRIMARY KEY,
    ended_at BIGINT NOT NULL
) WITHOUT ROWID;

INSERT INTO ends_without_receipt (task_id, ended_at)
  SELECT task_id, ended_at FROM tasks WHERE state = 'ended' AND end_receipt IS NULL;

CREATE TRIGGER tasks_ended_without_receipt AFTER UPDATE OF state ON tasks
  FOR EACH ROW WHEN OLD.state = 'active' AND NEW.state = 'ended' AND NEW.end_receipt IS NULL
BEGIN
  INSERT INTO ends_without_receipt (task_id, ended_at) VALUES (NEW.task_id, NEW.ended_at) ON CONFLICT (task_id) DO NOTHING;
END;

-- No code inserts a task already ended; should any, the table still holds every end without a receipt.
CREATE TRIGGER tasks_inserted_ended_without_receipt AFTER INSERT ON tasks
  FOR EACH ROW WHEN NEW.state = 'ended' AND NEW.end_receipt IS NULL
BEGIN
  INSERT INTO ends_without_receipt (task_id, ended_at) VALUES (NEW.task_id, NEW.ended_at) ON CONFLICT (task_id) DO NOTHING;
END;

CREATE TRIGGER tasks_end_receipt_kept AFTER UPDATE OF end_receipt ON tasks
  FOR EACH ROW WHEN NEW.end_receipt IS NOT NULL
BEGIN
  DELETE FROM ends_without_receipt WHERE task_id = NEW.task_id;
END;
