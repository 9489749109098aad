import type {Database} from '../db/types.js'

/** Which stored result: the stage's effective config and what the stage read. */
export interface StageResultKey {
  /** `stageConfigHash(...)` of the stage. */
  configHash: string
  /** sha256 (hex) of the stage's input. */
  inputHash: string
}

/** A row of `stage_results` (migrations/0004_stage_results.sql): inline JSON text or a storage key. */
export interface StoredStageResult {
  output: string | null
  outputKey: string | null
}

export interface StageResultRow extends StageResultKey, StoredStageResult {
  outputBytes: number
  /** The execution that computed the result (a UUID), when known. */
  executionId: string | null
}

export const stageResultKey = (key: StageResultKey): string => `${key.configHash}\u0000${key.inputHash}`

/**
 * Rows per INSERT statement (6 parameters each; PostgreSQL allows 65,535 per statement).
 * Written as VALUES tuples, not `unnest` over arrays: on PGlite a 6.6 KB output passed inside a
 * `text[]` parameter cost ≈ 8× a plain parameter (array literal built and parsed again; a
 * one-row INSERT 10.8 against 1.3 ms, docs/decisions.md).
 */
const UPSERT_CHUNK_ROWS = 256

/**
 * The `stage_results` rows of one adapter type. Each call is one statement (lookups join `unnest`
 * over the small keys; writes are VALUES tuples), so a batch of lookups or writes costs one round
 * trip; the same SQL runs on PostgreSQL 15 and PGlite.
 */
export class StageResultStore {
  constructor(private readonly db: Database, readonly adapterType: string) {}

  /** The stored rows among `keys`, by `stageResultKey`. */
  async lookup(keys: readonly StageResultKey[]): Promise<Map<string, StoredStageResult>> {
    const found = new Map<string, StoredStageResult>()
    if (keys.length === 0) return found
    const {rows} = await this.db.query<{config_hash: string; input_hash: string; output: string | null; output_key: string | null}>(
      `SELECT r.config_hash, r.input_hash, r.output, r.output_key
         FROM stage_results r JOIN unnest($2::text[], $3::text[]) AS k(config_hash, input_hash)
           ON r.config_hash = k.config_hash AND r.input_hash = k.input_hash
        WHERE r.adapter_type = $1`,
      [this.adapterType, keys.map((key) => key.configHash), keys.map((key) => key.inputHash)])
    for (const row of rows) {
      found.set(stageResultKey({configHash: row.config_hash, inputHash: row.input_hash}), {output: row.output, outputKey: row.output_key})
    }
    return found
  }

  /**
   * Inserts or replaces the rows (the last of several rows with one key wins: one statement may
   * not update a row twice). Each row holds exactly one of `output` and `outputKey`.
   */
  async upsert(rows: readonly StageResultRow[]): Promise<void> {
    const latest = new Map<string, StageResultRow>()
    for (const row of rows) latest.set(stageResultKey(row), row)
    if (latest.size === 0) return
    const unique = [...latest.values()]
    for (let start = 0; start < unique.length; start += UPSERT_CHUNK_ROWS) {
      const chunk = unique.slice(start, start + UPSERT_CHUNK_ROWS)
      const params: unknown[] = [this.adapterType]
      const tuples = chunk.map((row) => {
        const at = params.push(row.configHash, row.inputHash, row.output, row.outputKey, row.outputBytes, row.executionId) - 6
        return `($1, $${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}::int, $${at + 6}::uuid)`
      })
      await this.db.query(
        `INSERT INTO stage_results (adapter_type, config_hash, input_hash, output, output_key, output_bytes, execution_id)
         VALUES ${tuples.join(', ')}
         ON CONFLICT (adapter_type, config_hash, input_hash) DO UPDATE SET
           output = excluded.output, output_key = excluded.output_key, output_bytes = excluded.output_bytes,
           execution_id = excluded.execution_id, updated_at = now()`,
        params)
    }
  }
}
