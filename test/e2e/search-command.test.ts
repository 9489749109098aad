import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PROJECT_ROOT, runCli} from '../helpers/cli.js'

const PIPELINE = path.join(PROJECT_ROOT, 'config/pipelines/folder-to-embeddings.yaml')
let work: string

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-search-'))
  await mkdir(path.join(work, 'docs'))
  await writeFile(path.join(work, 'docs', 'brokers.md'), '# Brokers\n\nRabbitMQ speaks AMQP; ActiveMQ Artemis speaks STOMP. Dead-letter queues keep failed messages.\n')
  await writeFile(path.join(work, 'docs', 'gardening.md'), '# Gardening\n\nTomatoes need sun, water and a stake. Prune the side shoots in July.\n')
  const run = await runCli(['run', PIPELINE, '--no-tui'], {cwd: work, env: {DOCS_DIR: path.join(work, 'docs')}, timeoutMs: 120_000})
  expect(run.code, run.stderr).toBe(0)
}, 150_000)
afterAll(async () => {
  await rm(work, {recursive: true, force: true})
})

describe('factflow search --local (built binary)', () => {
  it.each(['semantic', 'keyword', 'hybrid'])('finds the document that answers the question (%s)', async (mode) => {
    const result = await runCli(['search', mode, 'tomatoes prune side shoots', '--local', '--json', '--limit', '2'], {cwd: work})
    expect(result.code, result.stderr).toBe(0)
    const answer = JSON.parse(result.stdout)
    expect(answer.hits[0].document_id).toMatch(/gardening\.md$/)
    expect(answer.mode).toBe(mode === 'semantic' ? 'vector' : mode)
  }, 60_000)

  it('prints numbered passages for people', async () => {
    const result = await runCli(['search', 'hybrid', 'dead-letter queues', '--local'], {cwd: work})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\[1\] file:\/\/.*brokers\.md#0 — Brokers/m)
  }, 60_000)

  it('builds the slot\'s vector index once, searches through it, and drops it', async () => {
    const built = await runCli(['search', 'vector-index', '--local', '--json'], {cwd: work})
    expect(built.code, built.stderr).toBe(0)
    expect(JSON.parse(built.stdout)).toMatchObject({slot: 'factflow-hash-v2', action: 'built', vectors: 2})
    expect(JSON.parse((await runCli(['search', 'vector-index', '--local', '--json'], {cwd: work})).stdout).action).toBe('existed')
    const result = await runCli(['search', 'semantic', 'tomatoes prune side shoots', '--local', '--json', '--limit', '1'], {cwd: work})
    expect(JSON.parse(result.stdout).hits[0].document_id).toMatch(/gardening\.md$/)
    const dropped = await runCli(['search', 'vector-index', '--local', '--drop'], {cwd: work})
    expect(dropped.stdout).toMatch(/^embeddings_hnsw_\w+ on slot factflow-hash-v2 \(2 vectors\): dropped in /)
  }, 120_000)

  it('says how to get embeddings when the database holds none, with exit 2', async () => {
    const empty = await mkdtemp(path.join(work, 'empty-'))
    const result = await runCli(['search', 'hybrid', 'anything', '--local'], {cwd: empty})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/SEARCH_NO_EMBEDDINGS/)
  }, 60_000)

  it('without --local says which server it could not reach (exit 4); refuses an empty query', async () => {
    const unreachable = await runCli(['search', 'hybrid', 'x', '--server', 'http://127.0.0.1:9'], {cwd: work})
    expect(unreachable.code).toBe(4)
    expect(unreachable.stderr).toMatch(/SERVER_UNREACHABLE.*http:\/\/127\.0\.0\.1:9/)
    const blank = await runCli(['search', 'keyword', '  ', '--local'], {cwd: work})
    expect(blank.code).toBe(2)
    expect(blank.stderr).toMatch(/SEARCH_QUERY_EMPTY/)
  })
})
