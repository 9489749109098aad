-- The server's tables: the execution event stream kept for SSE resume, and who created configs.
-- Forward-only: never edit once applied.

-- Every event of an execution's stream (spec/server.md, "Server-Sent Events"), so a client that
-- reconnects with a Last-Event-ID older than the in-memory buffer (or after a restart) misses
-- nothing. Ids are UUIDv7, increasing within an execution: the primary key orders them.
CREATE TABLE execution_events (
  execution_id uuid NOT NULL,
  id           uuid NOT NULL,
  event        text NOT NULL,
  data         jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (execution_id, id)
);

ALTER TABLE configs ADD COLUMN description text;
ALTER TABLE configs ADD COLUMN created_by text;
ALTER TABLE configs ADD COLUMN is_active boolean NOT NULL DEFAULT true;
ALTER TABLE config_versions ADD COLUMN created_by text;
