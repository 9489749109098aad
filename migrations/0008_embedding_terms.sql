-- Keyword search terms out of the vector write path (issue 16, "Vector writes off the critical path";
-- docs/decisions.md, "Keyword terms indexed after the write").
-- The generated `tsv` column and its GIN entry cost ~0.4 ms of PGlite's worker per written segment
-- (to_tsvector in WASM ~0.2 ms, the GIN insert ~0.2 ms), most of a vector write. They move to
-- `embedding_terms`, filled from `embedding_terms_pending` (the ids written since) by
-- `indexPendingTerms` (src/embeddings/keyword-terms.ts), which keyword search runs first.
-- A row of `embeddings` that is deleted takes its terms with it (the writer replaces a changed
-- segment by delete + insert), so terms never describe a text that is no longer stored.
-- Runs unchanged on PostgreSQL 15+ (with or without pgvector) and PGlite. Forward-only: never edit
-- once applied.
CREATE TABLE embedding_terms (
  id  uuid PRIMARY KEY REFERENCES embeddings (id) ON DELETE CASCADE,
  tsv tsvector NOT NULL
);
-- Ids written since their terms were last computed; no index (read whole, then emptied).
CREATE TABLE embedding_terms_pending (
  id uuid NOT NULL
);
INSERT INTO embedding_terms (id, tsv) SELECT id, tsv FROM embeddings;
ALTER TABLE embeddings DROP COLUMN tsv;
CREATE INDEX embedding_terms_tsv_idx ON embedding_terms USING gin (tsv);
