-- Taskbound store, version 13 (PostgreSQL): the ends whose revocation receipt was not kept yet.
--
-- Every few seconds each replica logs the ends that have no receipt (ended while the evidence log was unavailable,
-- or by an operator command). Tasks are never deleted, so finding those among all tasks read every task that ever
-- ended, a little longer each day. The triggers keep them in a table of their own, empty most of the time, in the
-- transaction that ends the task or keeps its receipt, whichever code ends it. (A partial index on tasks would find
-- them too, but an index predicate naming end_receipt rules out a HOT update for every receipt.)

CREATE TABLE ends_without_receipt (
    task_id  TEXT   NOT NULL PRIMARY KEY,
    ended_at BIGINT NOT NULL
);

INSERT INTO ends_without_receipt (task_id, ended_at)
  SELECT task_id, ended_at FROM tasks WHERE state = 'ended' AND end_receipt IS NULL;

-- One function for both ways a task can be ended without a receipt: by the end's update (the usual one; an end's
-- own statement sets no receipt) and, should any code do it, by inserting it already ended.
CREATE FUNCTION taskbound_end_without_receipt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO %I.ends_without_receipt (task_id, ended_at) VALUES ($1, $2) ON CONFLICT (task_id) DO NOTHING',
                 TG_TABLE_SCHEMA)
    USING NEW.task_id, NEW.ended_at;
  RETURN NULL;
END $$;

CREATE TRIGGER tasks_ended_without_receipt AFTER UPDATE OF state ON tasks
  FOR EACH ROW WHEN (OLD.state = 'active' AND NEW.state = 'ended' AND NEW.end_receipt IS NULL)
  EXECUTE FUNCTION taskbound_end_without_receipt();

CREATE TRIGGER tasks_inserted_ended AFTER INSERT ON tasks
  FOR EACH ROW WHEN (NEW.state = 'ended' AND NEW.end_receipt IS NULL)
  EXECUTE FUNCTION taskbound_end_without_receipt();

CREATE FUNCTION taskbound_end_receipt_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I.ends_without_receipt WHERE task_id = $1', TG_TABLE_SCHEMA) USING NEW.task_id;
  RETURN NULL;
END $$;

CREATE TRIGGER tasks_end_receipt_kept AFTER UPDATE OF end_receipt ON tasks
  FOR EACH ROW WHEN (NEW.end_receipt IS NOT NULL)
  EXECUTE FUNCTION taskbound_end_receipt_kept();
