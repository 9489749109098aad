-- One btree fewer on the lineage table (spec/engine.md, "Lineage"), its hottest write path.
-- The primary key becomes (message_id, id): the same btree that finds a message's rows (the chain,
-- ancestors) keeps rows unique, so the separate message_id index goes. A row by its `id` alone is
-- found through a BRIN index: ids are UUIDv7 made by the lineage writer as rows are written, so
-- they grow with the table's physical order and a lookup reads one or two block ranges (32 pages,
-- ~1000 rows) instead of descending a btree. Measured on PGlite with binary COPY (200k engine-like
-- rows): ~11 µs per row with the `id` btree, ~9.7 µs without it. The lineage queries summarise new
-- ranges before a lookup by id, as they do for the execution BRIN (migration 0003).
-- Runs unchanged on PostgreSQL 15+ and PGlite. Forward-only: never edit once applied.
ALTER TABLE lineage DROP CONSTRAINT lineage_pkey;
DROP INDEX lineage_message_idx;
ALTER TABLE lineage ADD CONSTRAINT lineage_pkey PRIMARY KEY (message_id, id);
CREATE INDEX lineage_id_brin ON lineage USING brin (id) WITH (pages_per_range = 32);
