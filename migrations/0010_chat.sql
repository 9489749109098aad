-- Chat threads and their messages (spec/server.md, "Chat service"): each answer keeps the passages
-- it was given, numbered as it cited them, so a reopened thread shows its citations intact.
-- Runs unchanged on PostgreSQL 15+ and PGlite. Forward-only: never edit once applied.

CREATE TABLE chat_threads (
  id         uuid PRIMARY KEY,
  -- The identity a trusted proxy forwarded (spec/server.md, "Identity and trust"); NULL without one.
  owner      text,
  title      text NOT NULL,
  -- Retrieval settings the thread was created with (slot, source, limit, profile); a turn may override them.
  settings   jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_threads_owner_idx ON chat_threads (owner, updated_at DESC);

CREATE TABLE chat_messages (
  id         uuid PRIMARY KEY,
  thread_id  uuid NOT NULL REFERENCES chat_threads (id) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('user', 'assistant')),
  content    text NOT NULL,
  -- assistant: the passages retrieved for it, [{index, title, url, score, text, document_id, segment_index}].
  sources    jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- assistant: the query the passages were retrieved with (the question made standalone).
  query      text,
  usage      jsonb,
  -- complete, or error (the provider failed mid-answer: content is what was said before).
  status     text NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'error')),
  error      jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_messages_thread_idx ON chat_messages (thread_id, created_at, id);
