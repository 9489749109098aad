-- Replays (spec/engine.md, "Replay"): `GET /executions/{id}/replays` lists the executions whose
-- parent is the given one. The column exists since 0001; only a few executions have a parent, so a
-- partial index costs nothing for the others. Forward-only: never edit once applied.
CREATE INDEX executions_parent_idx ON executions (parent_execution_id, created_at DESC) WHERE parent_execution_id IS NOT NULL;
