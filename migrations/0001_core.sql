-- Core tables: executions, stored pipeline configs, lineage, dead letters.
-- Runs unchanged on PostgreSQL 15+ and PGlite (PostgreSQL 18). Forward-only: never edit once applied.

CREATE TABLE executions (
  id                  uuid PRIMARY KEY,
  -- Loose reference: a run from a file has no stored config, and deleting a config keeps its history.
  config_id           uuid,
  config_name         text NOT NULL,
  config_snapshot     jsonb NOT NULL,
  status              text NOT NULL
                      CHECK (status IN ('running', 'completed', 'failed', 'cancelled', 'interrupted')),
  tag                 text UNIQUE,
  parent_execution_id uuid REFERENCES executions (id) ON DELETE SET NULL,
  replay_source       jsonb,
  metadata            jsonb NOT NULL DEFAULT '{}'::jsonb,
  summary             jsonb,
  error_info          jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  completed_at        timestamptz,
  created_by          text
);
CREATE INDEX executions_created_at_idx ON executions (created_at DESC);
CREATE INDEX executions_status_idx ON executions (status, created_at DESC);

CREATE TABLE configs (
  id         uuid PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE config_versions (
  id                uuid PRIMARY KEY,
  config_id         uuid NOT NULL REFERENCES configs (id) ON DELETE CASCADE,
  version           integer NOT NULL CHECK (version > 0),
  config_yaml       text NOT NULL,
  config_hash       text NOT NULL,
  is_active         boolean NOT NULL DEFAULT false,
  validation_report jsonb,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (config_id, version)
);
-- At most one active version per config.
CREATE UNIQUE INDEX config_versions_active_idx ON config_versions (config_id) WHERE is_active;

-- One row per message per adapter invocation, written once (spec/engine.md, "Lineage").
-- No foreign keys and few indexes: this is the hottest write path in the system, bulk-loaded by COPY.
-- The ids are UUIDv7 (time-ordered), so the btrees grow at their right edge.
CREATE TABLE lineage (
  id               uuid PRIMARY KEY,
  correlation_id   uuid NOT NULL,
  message_id       uuid NOT NULL,
  parent_id        uuid,
  execution_id     uuid NOT NULL,
  route_id         text NOT NULL,
  adapter_name     text NOT NULL,
  adapter_index    integer NOT NULL,
  stage_name       text NOT NULL,
  stage_status     text NOT NULL
                   CHECK (stage_status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'skipped')),
  stage_input_hash text,
  started_at       timestamptz NOT NULL,
  completed_at     timestamptz,
  duration_ms      double precision,
  metadata         jsonb,
  error_info       jsonb,
  replay_batch_id  uuid
);
-- By execution (filters, failures, stats, paging in time order).
CREATE INDEX lineage_execution_idx ON lineage (execution_id, started_at);
-- The chain: ancestors join on message_id, descendants and children on parent_id.
CREATE INDEX lineage_message_idx ON lineage (message_id);
CREATE INDEX lineage_parent_idx ON lineage (parent_id) WHERE parent_id IS NOT NULL;
-- Failures across executions and replay batches: partial indexes cost nothing for ordinary rows.
CREATE INDEX lineage_failed_idx ON lineage (started_at) WHERE stage_status = 'failed';
CREATE INDEX lineage_replay_batch_idx ON lineage (replay_batch_id) WHERE replay_batch_id IS NOT NULL;

CREATE TABLE dead_letters (
  id           uuid PRIMARY KEY,
  execution_id uuid NOT NULL,
  route_id     text NOT NULL,
  stage        text,
  message      jsonb NOT NULL,
  error_info   jsonb,
  attempts     integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  redriven_at  timestamptz
);
CREATE INDEX dead_letters_execution_idx ON dead_letters (execution_id, created_at);
