import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {fanOutFailYaml, slowFolderPipelineYaml} from '../helpers/file-read-pipeline.js'
import {type Served, startServe} from '../helpers/serve-process.js'
import {startWebhookReceiver} from '../helpers/webhook-receiver.js'

/**
 * The data-plane client commands (lineage, storage, dlq, webhook, search) as a user runs them: the
 * built binary against a real `factflow serve --embedded` started here — tables, `--json` shapes,
 * exit codes, and bad input (unknown ids, missing arguments, no server).
 */
const FILES = 6

describe('data-plane client commands against a real server', () => {
  let work: string
  let served: Served
  const cli = (args: string[]) => runCli(args, {cwd: work, env: {FACTFLOW_SERVER_URL: served.url}, timeoutMs: 120_000})
  const json = async (args: string[]) => {
    const result = await cli([...args, '--json'])
    try {
      return {...result, body: JSON.parse(result.stdout)}
    } catch {
      throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`)
    }
  }
  const run = async (file: string, name: string, tag: string, wait = true) => {
    const created = await json(['config', 'create', '-f', file, '--name', name])
    expect(created.code, created.stdout).toBe(0)
    return cli(['config', 'run', created.body.id, '--tag', tag, ...(wait ? ['--wait'] : [])])
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'factflow-data-plane-cli-'))
    await mkdir(path.join(work, 'corpus'))
    for (let i = 0; i < FILES; i++) await writeFile(path.join(work, 'corpus', `doc-${i}.md`), `# Doc ${i}\n\nBody ${i}\n`)
    await writeFile(path.join(work, 'fan-out-fail.yaml'), fanOutFailYaml(path.join(work, 'corpus')))
    await writeFile(path.join(work, 'slow.yaml'), slowFolderPipelineYaml(path.join(work, 'corpus'), 1000))
    await mkdir(path.join(work, 'docs'))
    await writeFile(path.join(work, 'docs', 'dead-letters.md'), '# Dead letters\n\nA message that fails after its last retry is kept in the dead-letter queue with its error.\n\n## Redrive\n\nRedrive a dead letter to send it back to its route.\n')
    // Webhooks to the test's receiver on 127.0.0.1.
    served = await startServe(work, {FACTFLOW_ALLOW_PRIVATE: 'true', FACTFLOW_DB_WORKER_NICE: '0'})
    const ran = await run('fan-out-fail.yaml', 'fan-out-fail', 'fan')
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).toBe(3)
  }, 240_000)
  afterAll(async () => {
    served?.child.kill('SIGKILL')
    await rm(work, {recursive: true, force: true})
  })

  it('lineage: stats table, lists, a row, its chain drawn as a tree, children, failures and the whole tree', async () => {
    const stats = await cli(['lineage', 'stats', '--execution', 'fan'])
    expect(stats.code, stats.stderr).toBe(0)
    expect(stats.stdout).toMatch(/^ROUTE\s+ADAPTER\s+COUNT\s+COMPLETED\s+FAILED\s+AVG\s+P95\n/)
    expect(stats.stdout).toMatch(/^list\s+directory_lister\s+1\s+1\s+0\s+[\d.]+m?s\s+[\d.]+m?s$/m)
    expect(stats.stdout).toMatch(new RegExp(`^read\\s+file_reader\\s+${FILES}\\s+${FILES}\\s+0\\s`, 'm'))
    expect(stats.stdout).toMatch(new RegExp(`^read\\s+fail\\s+${FILES}\\s+${FILES - 1}\\s+1\\s`, 'm'))
    const statsJson = await json(['lineage', 'stats', '--execution', 'fan'])
    expect(Object.keys(statsJson.body).sort()).toEqual(['execution_id', 'stages', 'totals'])
    expect(statsJson.body.totals).toMatchObject({count: 1 + 2 * FILES, failed: 1})

    const failed = await json(['lineage', 'list', '--execution', 'fan', '--status', 'failed'])
    expect(failed.body.lineage).toHaveLength(1)
    const failedRow = failed.body.lineage[0]
    expect(failedRow).toMatchObject({adapter_name: 'fail', stage_status: 'failed', error_info: {message: 'injected failure'}})
    const all = await cli(['lineage', 'list', '--execution', 'fan', '--limit', '5'])
    expect(all.stdout).toMatch(/^ID\s+ROUTE\s+ADAPTER\s+STATUS\s+DURATION\s+STARTED\s+ERROR\n/)
    expect(all.stdout).toMatch(new RegExp(`^… ${1 + 2 * FILES} in all \\(--offset 5 for more\\)$`, 'm'))

    const got = await cli(['lineage', 'get', failedRow.id])
    expect(got.stdout).toMatch(/^status:\s+failed$/m)
    expect(got.stdout).toMatch(/^error:\s+UserInputError \[INJECTED_FAILURE\]: injected failure$/m)

    const root = (await json(['lineage', 'list', '--execution', 'fan', '--route', 'list'])).body.lineage[0]
    const tree = await cli(['lineage', 'chain', root.id, '--tree'])
    expect(tree.code, tree.stderr).toBe(0)
    const lines = tree.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(1 + FILES)
    expect(lines[0]).toMatch(new RegExp(`^list ${root.message_id.slice(-8)}  directory_lister:completed .*\\(${FILES} children, 1 failed below\\)  ◀$`))
    expect(lines.slice(1, -1).every((line) => line.startsWith('├─ read '))).toBe(true)
    expect(lines.at(-1)).toMatch(/^└─ read /)
    expect(lines.filter((line) => line.includes('fail:failed') && line.endsWith('✗ injected failure'))).toHaveLength(1)
    const up = await cli(['lineage', 'chain', failedRow.id, '--tree'])
    expect(up.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^list .*\(1 child, 1 failed below\)$/),
      expect.stringMatching(new RegExp(`^└─ read ${failedRow.message_id.slice(-8)} .*✗ injected failure  ◀$`)),
    ])
    const chain = await json(['lineage', 'chain', failedRow.id])
    expect(Object.keys(chain.body).sort()).toEqual(['ancestors', 'descendants', 'row', 'siblings'])
    expect(chain.body.ancestors.map((r: {id: string}) => r.id)).toEqual([root.id])

    const children = await json(['lineage', 'children', root.id])
    expect(children.body.children).toHaveLength(2 * FILES)
    const failures = await cli(['lineage', 'failures', '--execution', 'fan'])
    expect(failures.stdout.trimEnd().split('\n')).toHaveLength(2)
    expect(failures.stdout).toContain(failedRow.id)

    const view = await cli(['lineage', 'view', '--execution', 'fan', '--no-tui'])
    expect(view.code, view.stderr).toBe(0)
    expect(view.stdout).toMatch(/^lineage of fan-out-fail · execution \S+ \(completed\)\n/)
    expect(view.stdout.trimEnd().split('\n')).toHaveLength(2 + FILES)
    const viewJson = await json(['lineage', 'view', '--execution', 'fan'])
    expect(viewJson.body.lineage).toHaveLength(1 + 2 * FILES)
  }, 180_000)

  it('lineage: unknown ids exit 1 with the server\'s code, missing arguments exit 2', async () => {
    const unknownRow = await json(['lineage', 'get', 'no-such-row'])
    expect(unknownRow.code).toBe(1)
    expect(unknownRow.body.error).toMatchObject({code: 'LINEAGE_NOT_FOUND', hint: expect.any(String)})
    const unknownExecution = await json(['lineage', 'stats', '--execution', 'no-such-execution'])
    expect(unknownExecution.code).toBe(1)
    expect(unknownExecution.body.error.code).toBe('EXECUTION_NOT_FOUND')
    expect((await cli(['lineage', 'stats'])).code).toBe(2)
    expect((await cli(['lineage', 'chain'])).code).toBe(2)
    const unknownChain = await cli(['lineage', 'chain', 'no-such-row', '--tree'])
    expect(unknownChain.code).toBe(1)
    expect(unknownChain.stderr).toMatch(/Error \[LINEAGE_NOT_FOUND\]/)
  }, 120_000)

  it('storage: browse, list, metadata, get/cat, and a download that resumes (same ETag skipped)', async () => {
    const listed = await json(['storage', 'list', '--execution', 'fan'])
    expect(listed.body.objects).toHaveLength(FILES)
    const key = listed.body.objects[0].key as string
    expect(key).toMatch(/^executions\/[^/]+\/read\/file_reader\/[^/]+\.md$/)
    const table = await cli(['storage', 'list', '--execution', 'fan'])
    expect(table.stdout).toMatch(/^KEY\s+SIZE\s+TYPE\s+MODIFIED\n/)
    expect(table.stdout).toMatch(/\s16 B\s+text\/markdown\s/)
    const browsed = await cli(['storage', 'browse'])
    expect(browsed.stdout).toMatch(/^executions\/\s+-\s+prefix$/m)

    const metadata = await cli(['storage', 'metadata', key])
    expect(metadata.stdout).toMatch(/^route_id:\s+read$/m)
    expect(metadata.stdout).toMatch(/^sha256:\s+[0-9a-f]{64}$/m)
    const got = await cli(['storage', 'get', key])
    expect(got.stdout).toMatch(/^# Doc \d\n\nBody \d\n$/)
    expect((await cli(['storage', 'cat', key])).stdout).toBe(got.stdout)
    const saved = await json(['storage', 'get', key, '-o', 'one.md'])
    expect(saved.body).toMatchObject({key, bytes: 16, etag: expect.stringMatching(/^"[0-9a-f]{64}"$/)})
    expect(await readFile(path.join(work, 'one.md'), 'utf8')).toBe(got.stdout)
    const missing = await cli(['storage', 'get', 'executions/nope/x.md'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^Error \[STORAGE_NOT_FOUND\]/)
    expect((await json(['storage', 'metadata', 'executions/nope/x.md'])).body.error.code).toBe('STORAGE_NOT_FOUND')
    expect((await cli(['storage', 'get', key, '--json'])).code).toBe(2)

    const first = await json(['storage', 'download', 'fan', '--output-dir', 'out'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.body).toMatchObject({objects: FILES, downloaded: FILES, skipped: 0, bytes: 16 * FILES})
    const relative = key.split('/').slice(2).join('/')
    expect(await readFile(path.join(work, 'out', relative), 'utf8')).toBe(got.stdout)
    const again = await cli(['storage', 'download', 'fan', '--output-dir', 'out'])
    expect(again.stdout).toMatch(new RegExp(`^${FILES} objects of \\S+ in \\S+: 0 downloaded \\(0 B\\), ${FILES} already there$`, 'm'))
    // One file removed and one changed on disk: only those two come again.
    const files = (first.body.files as Array<{path: string}>).map((f) => f.path)
    await rm(files[1]!)
    await writeFile(files[2]!, 'changed locally')
    const resumed = await json(['storage', 'download', 'fan', '--output-dir', 'out'])
    expect(resumed.body).toMatchObject({downloaded: 2, skipped: FILES - 2})
    expect(await readFile(files[2]!, 'utf8')).toMatch(/^# Doc/)
    const unknown = await json(['storage', 'download', 'no-such-execution', '--output-dir', 'out2'])
    expect(unknown.code).toBe(1)
    expect(unknown.body.error.code).toBe('EXECUTION_NOT_FOUND')
    expect((await cli(['storage', 'download', 'fan'])).code).toBe(2)
  }, 180_000)

  it('storage watch streams each new object of a running execution once, and ends with it', async () => {
    const started = await run('slow.yaml', 'slow', 'slow', false)
    expect(started.code, started.stderr).toBe(0)
    const watched = await cli(['storage', 'watch', '--execution', 'slow', '--json'])
    expect(watched.code, watched.stderr).toBe(0)
    const events = watched.stdout.trim().split('\n').map((line) => JSON.parse(line) as {id: string; key: string; route_id: string})
    // Objects stored before the watch connected are not replayed: at least the later ones arrive, each once.
    expect(events.length).toBeGreaterThan(0)
    expect(events.length).toBeLessThanOrEqual(FILES)
    expect(new Set(events.map((e) => e.key)).size).toBe(events.length)
    expect(events.every((e) => e.route_id === 'read' && e.key.includes('/read/file_reader/'))).toBe(true)
  }, 180_000)

  it('dlq: lists and shows a dead letter, redrives it; bad input exits 1 or 2', async () => {
    const listed = await json(['dlq', 'list', '--execution', 'fan'])
    expect(listed.body.dead_letters).toHaveLength(1)
    const letter = listed.body.dead_letters[0]
    expect(letter).toMatchObject({route_id: 'read', stage: 'fail', attempts: 1, redriven_at: null})
    const table = await cli(['dlq', 'list', '--execution', 'fan'])
    expect(table.stdout).toMatch(new RegExp(`^${letter.id}\\s+\\S+\\s+read\\s+fail\\s+1\\s+\\S+\\s+-\\s+injected failure$`, 'm'))
    const shown = await cli(['dlq', 'show', letter.id])
    expect(shown.stdout).toMatch(/^error:\s+UserInputError \[INJECTED_FAILURE\]: injected failure$/m)
    expect(shown.stdout).toMatch(/"path": ".*doc-\d\.md"/)
    expect((await json(['dlq', 'show', 'no-such-letter'])).body.error.code).toBe('DEAD_LETTER_NOT_FOUND')
    expect((await cli(['dlq', 'redrive'])).code).toBe(2)
    const redriven = await json(['dlq', 'redrive', letter.id])
    expect(redriven.code, redriven.stderr).toBe(0)
    expect(redriven.body).toMatchObject({redriven: 1, dead_letter_ids: [letter.id]})
    expect(['running', 'restarted']).toContain(redriven.body.mode)
  }, 120_000)

  it('webhook: create, list, get, update, test, deliveries, redeliver, delete', async () => {
    const receiver = await startWebhookReceiver([{status: 200}])
    try {
      const created = await json(['webhook', 'create', '--url', receiver.url, '--events', 'execution.completed,lineage.failed', '--filter', 'route_id=read'])
      expect(created.code, created.stdout).toBe(0)
      expect(created.body).toMatchObject({url: receiver.url, event_types: ['execution.completed', 'lineage.failed'], filters: {route_id: 'read'}, active: true})
      expect(created.body.secret).toEqual(expect.any(String))
      const id = created.body.id as string
      const listed = await cli(['webhook', 'list'])
      expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+${receiver.url.replaceAll('.', '\\.')}\\s+execution\\.completed,lineage\\.failed\\s+yes\\s+route_id=read$`, 'm'))
      expect((await cli(['webhook', 'get', id])).stdout).toMatch(/^events:\s+execution\.completed, lineage\.failed$/m)
      const paused = await json(['webhook', 'update', id, '--no-active'])
      expect(paused.body.active).toBe(false)
      const tested = await cli(['webhook', 'test', id])
      expect(tested.code, tested.stderr).toBe(0)
      expect(tested.stdout).toMatch(/^status:\s+succeeded$/m)
      expect(tested.stdout).toMatch(/#1 \S+ succeeded 200 \d+ms/)
      const deliveries = await json(['webhook', 'deliveries', id])
      expect(deliveries.body.deliveries).toHaveLength(1)
      const delivery = deliveries.body.deliveries[0]
      expect(delivery).toMatchObject({event_type: 'webhook.test', is_test: true, status: 'succeeded'})
      expect((await cli(['webhook', 'deliveries', id])).stdout).toMatch(/^ID\s+EVENT\s+STATUS\s+ATTEMPTS\s+CODE\s+CREATED\s+ERROR\n\S+\s+webhook\.test \(test\)\s+succeeded\s+1\s+200\s/)
      const redelivered = await json(['webhook', 'redeliver', delivery.id])
      expect(redelivered.code, redelivered.stdout).toBe(0)
      expect(redelivered.body.id).toBe(delivery.id)
      expect((await json(['webhook', 'redeliver', 'no-such-delivery'])).body.error.code).toBe('WEBHOOK_DELIVERY_NOT_FOUND')
      const deleted = await json(['webhook', 'delete', id])
      expect(deleted.body).toEqual({id, deleted: true})
      const gone = await json(['webhook', 'get', id])
      expect(gone.code).toBe(1)
      expect(gone.body.error.code).toBe('WEBHOOK_NOT_FOUND')
      const badEvent = await json(['webhook', 'create', '--url', receiver.url, '--events', 'no.such.event'])
      expect(badEvent.code).toBe(2)
      expect(badEvent.body.error.code).toBe('REQUEST_INVALID')
      expect((await cli(['webhook', 'create', '--url', receiver.url, '--events', 'execution.failed', '--filter', 'no-equals'])).code).toBe(2)
      expect((await cli(['webhook', 'create', '--events', 'execution.failed'])).code).toBe(2)
    } finally {
      await receiver.close()
    }
  }, 120_000)

  it('search asks the server without --local: hits as text and JSON', async () => {
    const ran = await run(path.join(PROJECT_ROOT, 'config/pipelines/folder-to-embeddings.yaml'), 'docs', 'docs')
    expect(ran.code, ran.stderr).toBe(0)
    const hybrid = await json(['search', 'hybrid', 'dead-letter queue', '--limit', '2'])
    expect(hybrid.code, hybrid.stderr).toBe(0)
    expect(hybrid.body).toMatchObject({mode: 'hybrid', query: 'dead-letter queue'})
    expect(hybrid.body.hits.length).toBeGreaterThan(0)
    expect(hybrid.body.hits[0].text).toMatch(/dead-letter queue/)
    const keyword = await cli(['search', 'keyword', 'redrive'])
    expect(keyword.code, keyword.stderr).toBe(0)
    expect(keyword.stdout).toMatch(/^\[1\] \S+dead-letters\.md#\d+.*\(keyword [\d.]+\)\n {4}.*[Rr]edrive/m)
    const blank = await json(['search', 'keyword', '  '])
    expect(blank.code).toBe(2)
  }, 240_000)

  it('every data-plane command says which URL it could not reach (exit 4)', async () => {
    const commands = [
      ['lineage', 'list', '--execution', 'x'], ['lineage', 'stats', '--execution', 'x'], ['lineage', 'view', '--execution', 'x'],
      ['storage', 'browse'], ['storage', 'download', 'x', '--output-dir', 'never'], ['storage', 'watch', '--execution', 'x'],
      ['dlq', 'list'], ['webhook', 'list'], ['search', 'hybrid', 'x'],
    ]
    const results = await Promise.all(commands.map((args) => runCli([...args, '--server', 'http://127.0.0.1:9', '--json'], {cwd: work})))
    for (const [i, result] of results.entries()) {
      expect(result.code, `${commands[i]!.join(' ')}: ${result.stdout}${result.stderr}`).toBe(4)
      const error = JSON.parse(result.stdout).error
      expect(error.code).toBe('SERVER_UNREACHABLE')
      expect(error.message).toContain('http://127.0.0.1:9')
      expect(error.hint).toMatch(/factflow serve --embedded/)
    }
  }, 120_000)
})
