-- Zip archive jobs (`POST /content/archive`, docs/reference/server.md): the job row survives a
-- restart, and the zip itself lives in the object store under `archives/<id>.zip`. A job a killed
-- process left pending or running is marked failed when the server starts (docs/decisions.md).
-- Runs unchanged on PostgreSQL 15+ and PGlite. Forward-only: never edit once applied.

CREATE TABLE archive_jobs (
  id           uuid PRIMARY KEY,
  -- The identity a trusted proxy forwarded (docs/reference/server.md, "Identity and trust"); NULL without one.
  owner        text,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  execution_id uuid,
  prefix       text NOT NULL,
  object_count integer NOT NULL DEFAULT 0,
  -- Size of the zip once completed.
  bytes        bigint,
  -- Object key of the zip once completed (archives/<id>.zip).
  object_key   text,
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX archive_jobs_unfinished_idx ON archive_jobs (status) WHERE status IN ('pending', 'running');
CREATE INDEX archive_jobs_created_idx ON archive_jobs (created_at);
