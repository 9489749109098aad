import type {Database} from '../db/types.js'
import type {EventArchive, LoggedEvent} from './logged-event.js'

/** The execution event stream in the `execution_events` table (migration 0007): SSE resume beyond memory and across restarts. */
export function createExecutionEventRepository(db: Pick<Database, 'query'>): EventArchive {
  return {
    async append(executionId, events) {
      if (events.length === 0) return
      await db.query(`
        INSERT INTO execution_events (execution_id, id, event, data, created_at)
        SELECT $1::uuid, e.id, e.event, e.data, e.created_at
        FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::timestamptz[]) AS e(id, event, data, created_at)
        ON CONFLICT DO NOTHING`, [
        executionId, events.map((e) => e.id), events.map((e) => e.event), events.map((e) => JSON.stringify(e.data)), events.map((e) => e.timestamp),
      ])
    },
    async since(executionId, afterId) {
      const {rows} = await db.query<{id: string; event: string; data: Record<string, unknown>; created_at: Date}>(`
        SELECT id, event, data, created_at FROM execution_events
        WHERE execution_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT 100000`, [executionId, afterId ?? null])
      return rows.map((row): LoggedEvent => ({id: row.id, event: row.event, data: row.data, timestamp: new Date(row.created_at).toISOString()}))
    },
  }
}
