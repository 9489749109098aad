-- Embedding slots and the vectors embedding_generator writes; read by search (spec/server.md).
-- Runs on PostgreSQL 15+ with or without pgvector, and on PGlite (which has it).
--
-- Vector storage: ONE column, `embedding`. Where `CREATE EXTENSION vector` succeeds it is pgvector's
-- `vector` without a fixed dimension (slots of different dimensions share the table); elsewhere it
-- is `real[]` and search reports vector search unavailable (or scans exactly; see search-service.ts).
-- The column's type is read at run time (pg_attribute), never assumed. Installing pgvector later
-- does not convert an existing real[] column: that takes a new migration.
--
-- No ANN index here: maintaining HNSW while ingesting costs more than it saves for small corpora
-- (an exact scan of 50k x 512 takes ~360 ms on PGlite). Build one per slot after a large run:
--   CREATE INDEX CONCURRENTLY embeddings_<slot>_hnsw ON embeddings
--     USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE slot = '<slot>';
-- Forward-only: never edit once applied.

CREATE TABLE embedding_slots (
  slot       text PRIMARY KEY,
  model      text NOT NULL,
  dimensions integer NOT NULL CHECK (dimensions > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE embeddings (
  id                    uuid PRIMARY KEY,
  slot                  text NOT NULL REFERENCES embedding_slots (slot) ON DELETE CASCADE,
  document_id           text NOT NULL,
  -- Where the document came from (source_url, url or path). A new document id from the same source
  -- replaces the old one's rows (readers that derive ids from content give a new id per version).
  source                text,
  segment_index         integer NOT NULL CHECK (segment_index >= 0),
  -- sha256 of `text`: same hash, same vector (incremental re-runs skip the embedding call).
  content_hash          text NOT NULL,
  -- The whole document's hash when the segment was written: rows of an older version are stale.
  document_content_hash text,
  text                  text NOT NULL,
  heading_path          jsonb NOT NULL DEFAULT '[]'::jsonb,
  metadata              jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Text search configuration of this row ('simple': no stemming, any language).
  language              regconfig NOT NULL DEFAULT 'simple',
  tsv                   tsvector GENERATED ALWAYS AS (to_tsvector(language, text)) STORED,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (slot, document_id, segment_index)
);
CREATE INDEX embeddings_tsv_idx ON embeddings USING gin (tsv);
CREATE INDEX embeddings_document_idx ON embeddings (document_id);
CREATE INDEX embeddings_source_idx ON embeddings (slot, source) WHERE source IS NOT NULL;

-- The inner BEGIN … EXCEPTION block is a subtransaction: a failed CREATE EXTENSION (no pgvector on
-- this server, or no privilege) is rolled back alone and the migration's transaction goes on.
DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS vector;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pgvector is not available (%); embeddings are stored as real[]', SQLERRM;
  END;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
    EXECUTE 'ALTER TABLE embeddings ADD COLUMN embedding vector NOT NULL';
  ELSE
    ALTER TABLE embeddings ADD COLUMN embedding real[] NOT NULL;
  END IF;
END
$$;
