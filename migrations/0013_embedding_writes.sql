-- A vector write is one statement (issue 16, "Vector writes off the critical path"; docs/decisions.md,
-- "2026-12-07 — a vector write is one COPY").
--
-- 1. Written ids are recorded for keyword indexing by a statement trigger with a transition table,
--    inside the COPY that writes the rows: the writer no longer sends a separate INSERT into
--    `embedding_terms_pending` (nor BEGIN / COMMIT around the two) for every batch. Any insert into
--    `embeddings` records its ids, whoever makes it.
-- 2. The foreign key from `embeddings.slot` to `embedding_slots` checked every written row with a
--    `SELECT … FOR KEY SHARE` of the slot row. Slots are registered by `EmbeddingStore.open` before
--    anything is written into them; deleting a slot still deletes its rows (a row trigger on
--    `embedding_slots` replaces the cascade).
-- 3. Vectors are stored without compression (`STORAGE EXTERNAL`, still out of line when the row is
--    large): float arrays do not compress, and pglz tried on every row. Applies to rows written from
--    now on; rows already stored stay as they are and read the same.
-- Runs unchanged on PostgreSQL 15+ (with or without pgvector) and PGlite. Forward-only: never edit
-- once applied.
CREATE FUNCTION embeddings_record_pending_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO embedding_terms_pending (id) SELECT id FROM written;
  RETURN NULL;
END
$$;
CREATE TRIGGER embeddings_pending_terms AFTER INSERT ON embeddings
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION embeddings_record_pending_terms();

ALTER TABLE embeddings DROP CONSTRAINT embeddings_slot_fkey;
CREATE FUNCTION embedding_slots_delete_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM embeddings WHERE slot = OLD.slot;
  RETURN OLD;
END
$$;
CREATE TRIGGER embedding_slots_delete_rows AFTER DELETE ON embedding_slots
  FOR EACH ROW EXECUTE FUNCTION embedding_slots_delete_rows();

ALTER TABLE embeddings ALTER COLUMN embedding SET STORAGE EXTERNAL;
