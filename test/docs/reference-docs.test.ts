import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {builtinAdapters} from '../../src/adapters/registry.js'
import {fillGeneratedBlocks, renderAdapterCatalog, renderCommands, renderOperations, renderSettingsExample, renderValidationCodes} from '../../src/docs/reference-blocks.js'
import {startTestServer, type TestServer} from '../server/server-harness.js'

// The user reference in docs/reference/ holds blocks generated from the code (see
// src/docs/reference-blocks.ts). Regenerate: UPDATE_REFERENCE_DOCS=1 npx vitest run test/docs/reference-docs.test.ts
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const REFERENCE = path.join(ROOT, 'docs/reference')
const MANIFEST = path.join(ROOT, 'oclif.manifest.json')
const STALE = 'is out of date: UPDATE_REFERENCE_DOCS=1 npx vitest run test/docs/reference-docs.test.ts'

let server: TestServer
let blocks: Record<string, string>

beforeAll(async () => {
  server = await startTestServer()
  const openapi = (await server.call('GET', '/openapi.json')).body
  blocks = {
    'adapter-catalog': renderAdapterCatalog(builtinAdapters),
    'validation-codes': renderValidationCodes(),
    operations: renderOperations(openapi),
    settings: renderSettingsExample(readFileSync(path.join(ROOT, 'config/factflow.example.yaml'), 'utf8')),
  }
  if (existsSync(MANIFEST)) blocks.commands = renderCommands(JSON.parse(readFileSync(MANIFEST, 'utf8')))
})
afterAll(async () => { await server?.close() })

describe('the user reference in docs/reference/', () => {
  it.each(['adapters.md', 'pipeline.md', 'cli.md', 'server.md'])('%s holds the blocks the code generates today', (file) => {
    if (file === 'cli.md' && blocks.commands === undefined) {
      if (process.env.CI) throw new Error('oclif.manifest.json is missing: `npm run build` writes it')
      console.warn('skipped: cli.md needs oclif.manifest.json (npm run build)')
      return
    }
    const target = path.join(REFERENCE, file)
    const text = readFileSync(target, 'utf8')
    const filled = fillGeneratedBlocks(text, blocks)
    if (process.env.UPDATE_REFERENCE_DOCS === '1') writeFileSync(target, filled)
    expect(readFileSync(target, 'utf8'), `docs/reference/${file} ${STALE}`).toBe(filled)
    const names = [...filled.matchAll(/<!-- generated:([a-z-]+)/g)].map((match) => match[1]!)
    expect(names.length).toBeGreaterThan(0)
    for (const name of names) expect(filled).toContain(blocks[name]!)
  })

  it('lists every adapter, every command and every HTTP operation', () => {
    for (const definition of builtinAdapters) expect(blocks['adapter-catalog']).toContain(`\`${definition.type}\``)
    expect(blocks.operations).toMatch(/\| POST \| `\/api\/v1\/configs` \|/)
    expect(blocks.operations).toMatch(/\| GET \| `\/api\/v1\/executions\/\{[a-z_]+\}\/events` \|/)
    if (blocks.commands !== undefined) {
      for (const id of ['run', 'serve', 'config validate', 'execution watch', 'chat']) expect(blocks.commands).toContain(`### \`factflow ${id}`)
    }
  })

  it('never sends a reader to a file the repository does not hold', () => {
    const files = ['README.md', ...['README.md', 'adapters.md', 'pipeline.md', 'cli.md', 'server.md', 'engine.md'].map((name) => `docs/reference/${name}`)]
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, file), 'utf8')
      expect(text, file).not.toMatch(/(?<![./\w])spec\/[a-z]+\.md/)
      for (const [, link] of text.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(#[^)]*)?\)/g)) {
        expect(existsSync(path.resolve(path.dirname(path.join(ROOT, file)), link!)), `${file} links to ${link}`).toBe(true)
      }
    }
  })

  it('is what the code, hints and help cite: no `spec/` file the repository does not hold', () => {
    const cited: string[] = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, {withFileTypes: true})) {
        const file = path.join(dir, entry.name)
        if (entry.isDirectory()) {
          if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(file)
        } else if (/\.(ts|tsx|js)$/.test(entry.name)) {
          for (const line of readFileSync(file, 'utf8').split('\n')) {
            if (/(?<![./\w])spec\/[a-z]+\.md/.test(line)) cited.push(`${path.relative(ROOT, file)}: ${line.trim()}`)
          }
        }
      }
    }
    for (const dir of ['src', 'server', 'commands', 'bench', 'test']) walk(path.join(ROOT, dir))
    expect(cited).toEqual([])
  })
})
