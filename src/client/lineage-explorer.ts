import type {LineageRowResource} from '../api/lineage-schemas.js'
import type {Execution} from '../api/schemas.js'
import type {StorageObjectResource} from '../api/storage-schemas.js'
import type {FactflowClient} from './http-client.js'

/** Most rows `lineage view` reads (a page of 1,000 at a time). */
export const MAX_VIEW_ROWS = 200_000

export interface LineageExplorerData {
  execution: Execution
  rows: LineageRowResource[]
  /** More rows exist than were read. */
  truncated: boolean
  /** The artefacts a message's stages stored (the execution's listing, read once with metadata on first use). */
  loadArtefacts(messageId: string): Promise<StorageObjectResource[]>
  /** An artefact's bytes as text (UTF-8). */
  readArtefact(key: string): Promise<string>
}

/** What `factflow lineage view` shows: the execution's lineage rows, and its artefacts on demand. */
export async function loadLineageExplorer(client: FactflowClient, idOrTag: string): Promise<LineageExplorerData> {
  const execution = await client.getExecution(idOrTag)
  const rows: LineageRowResource[] = []
  let truncated = false
  for (let offset = 0; ; offset += 1000) {
    const page = await client.listLineage({execution_id: execution.id, limit: 1000, offset})
    rows.push(...page.lineage)
    if (!page.has_more) break
    if (rows.length >= MAX_VIEW_ROWS) {
      truncated = true
      break
    }
  }
  let byMessage: Promise<Map<string, StorageObjectResource[]>> | undefined
  const artefactIndex = async () => {
    const index = new Map<string, StorageObjectResource[]>()
    for (let offset = 0; ; offset += 1000) {
      const page = await client.browseStorage({execution_id: execution.id, include_metadata: true, limit: 1000, offset})
      for (const object of page.objects) {
        const messageId = object.metadata?.message_id
        if (typeof messageId !== 'string') continue
        index.set(messageId, [...index.get(messageId) ?? [], object])
      }
      if (!page.has_more) return index
    }
  }
  return {
    execution, rows, truncated,
    async loadArtefacts(messageId) {
      byMessage ??= artefactIndex()
      byMessage.catch(() => { byMessage = undefined })
      return (await byMessage).get(messageId) ?? []
    },
    async readArtefact(key) {
      const response = await client.object(key)
      return response.text()
    },
  }
}
