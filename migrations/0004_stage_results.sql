-- Stored results of stages that turn a document into derived data (spec/engine.md, "Incremental
-- re-runs"): html_to_markdown, smart_segmenter, llm_translator, llm_transform. The same input under
-- the same effective config reuses the row instead of converting, segmenting or paying an LLM again.
-- Runs unchanged on PostgreSQL 15+ and PGlite. Forward-only: never edit once applied.
--
-- Numbered 0004 while 0003 is taken by another change; the runner applies every missing version,
-- so either may reach a database first. The two touch different tables.

CREATE TABLE stage_results (
  -- The adapter type (`smart_segmenter`); a result is never shared between types.
  adapter_type text NOT NULL,
  -- sha256 of the stage's effective config (adapter config with defaults, resolved LLM profile,
  -- prompt text, result version): a changed config never reuses an old result.
  config_hash  text NOT NULL,
  -- sha256 of what the stage reads (the markdown, the HTML and its base URL, the rendered prompt).
  input_hash   text NOT NULL,
  -- The result as JSON text when it is small. text, not jsonb: jsonb refuses the \u0000 escape
  -- that a document's text may need, and nothing queries inside a result.
  output       text,
  -- Otherwise the storage key of the JSON (stage-results/<adapter>/<config_hash>/<input_hash>.json).
  output_key   text,
  output_bytes integer NOT NULL CHECK (output_bytes >= 0),
  -- The execution that computed it (who paid for it).
  execution_id uuid,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (adapter_type, config_hash, input_hash),
  CHECK ((output IS NULL) <> (output_key IS NULL))
);
