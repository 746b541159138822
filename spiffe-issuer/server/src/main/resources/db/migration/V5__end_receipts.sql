-- The signed revocation receipt of a task's end, once its evidence is in the log. NULL on an ended task means its
-- end evidence is still to be written (an end by an operator command, or a crash between commit and append).
ALTER TABLE tasks ADD COLUMN end_receipt TEXT;
