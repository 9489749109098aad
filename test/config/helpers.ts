import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const FIXTURES = path.join(ROOT, 'test/fixtures/validation')
export const PIPELINES = path.join(ROOT, 'config/pipelines')
export const SHIPPED = ['sitemap-to-embeddings.yaml', 'folder-to-embeddings.yaml', 'translate-with-llm.yaml']

export function readShipped(name: string): string {
  return readFileSync(path.join(PIPELINES, name), 'utf8')
}

/** A small valid pipeline to build test cases from (artemis naming, a dead-letter queue). */
export const MINIMAL = `version: "1.0"
error_handling: { dead_letter_queue: /queue/dlq }
routes:
  crawl:
    inbound: { queue: /queue/crawl.in }
    adapters:
      - type: passthrough
init_message: { route: crawl }
`
