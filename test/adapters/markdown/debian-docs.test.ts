import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {Tiktoken} from 'js-tiktoken/lite'
import cl100k from 'js-tiktoken/ranks/cl100k_base'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createAdapter as createHtmlToMarkdown} from '../../../src/adapters/markdown/html-to-markdown.js'
import {segmentMarkdown} from '../../../src/adapters/markdown/segmenting/segment-markdown.js'
import {loadTokenCounter, type TokenCounter} from '../../../src/adapters/markdown/segmenting/token-counter.js'
import type {AdapterOutput} from '../../../src/adapters/types.js'
import type {FileObjectStore} from '../../../src/storage/file-object-store.js'
import {contextFor, createScratchStorage, resourcesFor} from './context.js'

/** Real-world HTML manuals that Debian packages install (texinfo, DocBook, hand-written); their presence varies by machine. */
function debianHtmlDocs(limit = 24): string[] {
  const root = '/usr/share/doc'
  const found: string[] = []
  let packages: string[] = []
  try {
    packages = readdirSync(root).sort()
  } catch {
    return found
  }
  for (const name of packages) {
    for (const dir of [path.join(root, name, 'html'), path.join(root, name)]) {
      try {
        for (const file of readdirSync(dir).sort()) if (file.endsWith('.html')) found.push(path.join(dir, file))
      } catch {
        // No such directory in this package.
      }
    }
  }
  // A spread over packages rather than the first package's every page.
  const step = Math.max(1, Math.floor(found.length / limit))
  return found.filter((_, i) => i % step === 0).slice(0, limit)
}

const files = debianHtmlDocs()
if (files.length === 0) console.warn('[skip] no HTML manuals under /usr/share/doc on this machine: the Debian-docs tests are skipped')

describe.skipIf(files.length === 0)('markdown adapters on the Debian HTML manuals installed here', () => {
  let storage: FileObjectStore
  let remove: () => Promise<void>
  let counter: TokenCounter
  let reference: Tiktoken

  beforeAll(async () => {
    ({storage, remove} = await createScratchStorage())
    counter = await loadTokenCounter('cl100k_base')
    reference = new Tiktoken(cl100k)
  }, 60_000)
  afterAll(async () => {
    await remove?.()
  })

  it.each(files)('converts and segments %s within the budget with exact counts', async (file) => {
    const html = readFileSync(file, 'utf8')
    const adapter = createHtmlToMarkdown({main_content: true, preserve_links: true, preserve_images: false}, resourcesFor(storage))
    let output: AdapterOutput
    try {
      output = (await adapter.process(contextFor(storage, {html, path: file}))) as AdapterOutput
    } catch (error) {
      // A manual's frame or redirect page may legitimately have no text.
      expect(error).toMatchObject({code: 'HTML_NO_CONTENT'})
      return
    }
    const markdown = (output.payload.markdown as string | undefined)
      ?? (await storage.get(output.payload.markdown_storage_key as string)).body.toString('utf8')
    expect(markdown.trim()).not.toBe('')
    expect(markdown).not.toMatch(/<\/?(script|style|nav)\b/i)
    // texinfo's "Next: … Previous: … Up:" navigation line is page furniture.
    expect(markdown).not.toMatch(/^Next: .*Previous: /m)
    const segments = segmentMarkdown(markdown, {maxTokens: 256, minTokens: 32, overlapTokens: 0}, counter)
    for (const segment of segments) {
      expect(segment.token_count).toBe(reference.encode(segment.text, [], []).length)
      const lines = segment.text.split('\n')
      const oversizedAllowed = lines.every((line) => line.startsWith('|')) || (lines.length === 3 && lines[0].startsWith('```'))
      if (!oversizedAllowed) expect(segment.token_count).toBeLessThanOrEqual(256)
      expect(lines.filter((line) => /^\s*```/.test(line)).length % 2).toBe(0)
    }
  }, 60_000)
})
