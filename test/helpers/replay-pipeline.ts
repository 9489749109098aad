import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

/**
 * `replayable`: reads the `*.html` files under `dir` (route `read`), converts each to markdown and
 * stores it (route `convert`, stage `markdown`), then cuts the markdown into segments and stores
 * each (route `segment`, stage `segments`). The segment route starts with storage_retriever, so it
 * takes the convert route's messages and a replay of the `markdown` stage's artefacts alike.
 */
export function replayPipelineYaml(name: string, dir: string): string {
  return `version: "1.0"
name: ${name}
error_handling: {max_retries: 0, dead_letter_queue: /queue/dlq}
routes:
  read:
    inbound: {queue: /queue/read}
    adapters:
      - type: directory_lister
        config: {path: ${JSON.stringify(dir)}, include: "**/*.html"}
      - type: file_reader
    outbound: [{queue: /queue/convert}]
  convert:
    inbound: {queue: /queue/convert, concurrency: 2}
    adapters:
      - type: storage_retriever
      - type: html_to_markdown
      - type: markdown_storage_writer
        id: markdown
    outbound: [{queue: /queue/segment}]
  segment:
    inbound: {queue: /queue/segment, concurrency: 2}
    adapters:
      - type: storage_retriever
      - type: smart_segmenter
        config: {max_tokens: 48, min_tokens: 0}
      - type: segment_publisher
      - type: markdown_storage_writer
        id: segments
init_message: {route: read, payload: {}}
`
}

/** Writes `count` HTML pages of a few sections each under `dir`. */
export async function writeReplayPages(dir: string, count: number): Promise<void> {
  await mkdir(dir, {recursive: true})
  for (let i = 0; i < count; i++) {
    const sections = [1, 2, 3].map((s) => `<h2>Part ${i}.${s}</h2><p>${`Page ${i} section ${s} explains step ${s} of the procedure in plain words. `.repeat(4)}</p>`).join('')
    await writeFile(path.join(dir, `page-${i}.html`), `<!doctype html><html><head><title>Page ${i}</title></head><body><main><h1>Page ${i}</h1>${sections}</main></body></html>`)
  }
}
