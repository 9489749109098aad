-- Lineage's chain lookups through one BRIN bloom index instead of two btrees (spec/engine.md,
-- "Lineage"; docs/decisions.md, "Lineage chain lookups through bloom filters").
-- The lineage table is written once per adapter invocation and read a message at a time: the
-- chain (ancestors by `message_id`, descendants and children by `parent_id`) and a message's own
-- rows. The two btrees that served those lookups, the primary key (message_id, id) and the
-- parent_id index, were ~40% of the cost of storing a row (PGlite, binary COPY of 200k engine-like
-- rows: ~9.5 µs per row with them, ~6 without) and ~100 MB per million rows on disk.
-- A bloom BRIN keeps, per 8-page block range (~250 rows), a bloom filter of the range's
-- message ids and parent ids; an equality lookup (also `= ANY(array)`, one query per level of a
-- walk) reads the filters and then only the ranges that may hold the value: ~3 ms per lookup at a
-- million rows on PGlite, growing with the table (a btree: ~0.1 ms), ~4 MB per million rows.
-- Its first column, the range's started_at bounds, lets a walk down a tree skip the ranges written
-- before the tree began (descendants start after their ancestors) without testing their filters.
-- Like the other BRIN indexes, new ranges are summarised by the readers (lineage queries) and by
-- VACUUM, and ranges not yet summarised are always read, so answers are complete either way.
-- Rows stay unique by construction (the writer makes each id) and a retried batch skips the ids
-- already stored (the writer's safe path), so the table keeps no primary key.
-- Runs unchanged on PostgreSQL 15+ and PGlite. Forward-only: never edit once applied.
ALTER TABLE lineage DROP CONSTRAINT lineage_pkey;
DROP INDEX lineage_parent_idx;
CREATE INDEX lineage_chain_bloom ON lineage USING brin (
  started_at,
  message_id uuid_bloom_ops (n_distinct_per_range = 300, false_positive_rate = 0.001),
  parent_id uuid_bloom_ops (n_distinct_per_range = 300, false_positive_rate = 0.001)
) WITH (pages_per_range = 8);
