import {execFileSync, spawnSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {type FakeLlmServer, startFakeLlmServer} from '../helpers/fake-llm-server.js'

const PIPELINE = path.join(PROJECT_ROOT, 'config/pipelines/folder-to-embeddings.yaml')
const KEY = 'sk-test-chat-secret-4242'
let work: string
let fake: FakeLlmServer
const env = () => ({FAKE_LLM_KEY: KEY, FACTFLOW_DB_WORKER_NICE: '0'})

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-chat-'))
  await mkdir(path.join(work, 'docs'))
  await writeFile(path.join(work, 'docs', 'brokers.md'), '# Brokers\n\nRabbitMQ speaks AMQP; ActiveMQ Artemis speaks STOMP. Dead-letter queues keep failed messages.\n\n'
    + '## Redrive\n\nTo redrive a dead-lettered message, run factflow dlq redrive with its id. Redriving puts the message back on its queue.\n')
  await writeFile(path.join(work, 'docs', 'gardening.md'), '# Gardening\n\nTomatoes need sun, water and a stake. Prune the side shoots in July.\n')
  fake = await startFakeLlmServer({
    respond: (request) => request.system?.startsWith('You turn the last question')
      ? 'how to prune tomato side shoots'
      : request.system?.includes('Tomatoes') ? 'Prune the side shoots in July [1], never in winter [4].' : 'Run factflow dlq redrive [1].',
  })
  await writeFile(path.join(work, 'factflow.yaml'), `llm:\n  providers:\n    - name: compat\n      provider_type: openai_compatible\n      base_url: ${fake.openaiBaseUrl}\n      api_key: \${FAKE_LLM_KEY}\n      model: fake-model\n`)
  const run = await runCli(['run', PIPELINE, '--no-tui'], {cwd: work, env: {...env(), DOCS_DIR: path.join(work, 'docs')}, timeoutMs: 150_000})
  expect(run.code, run.stderr).toBe(0)
}, 180_000)
afterAll(async () => {
  await fake?.close()
  if (work) await rm(work, {recursive: true, force: true})
})

/** Every file under `dir` that holds `needle` (binary-safe). */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true, recursive: true})) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    if ((await readFile(file)).includes(needle)) found.push(file)
  }
  return found
}

describe('factflow chat --local (built binary)', () => {
  it('answers one question offline as JSON: exactly {answer, sources[{index, title, url, score, text}], thread_id}', async () => {
    const result = await runCli(['chat', '--local', '--profile', 'local', '--once', 'how do I redrive a dead-lettered message?', '--json'], {cwd: work, env: env()})
    expect(result.code, result.stderr).toBe(0)
    const answer = JSON.parse(result.stdout)
    expect(Object.keys(answer).sort()).toEqual(['answer', 'sources', 'thread_id'])
    expect(answer.thread_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(answer.answer).toMatch(/run factflow dlq redrive with its id\. \[1\]/)
    expect(answer.sources[0]).toEqual({index: 1, title: 'Brokers', url: expect.stringMatching(/^file:\/\/.*brokers\.md$/), score: expect.any(Number), text: expect.stringContaining('dlq redrive')})
    for (const source of answer.sources) expect(Object.keys(source).sort()).toEqual(['index', 'score', 'text', 'title', 'url'])
  }, 60_000)

  it('streams a model\'s answer with only retrieved citations, continues the thread with a follow-up, and never shows or stores the key', async () => {
    fake.reset()
    const first = await runCli(['chat', '--local', '--profile', 'compat', '--once', 'what do tomatoes need?'], {cwd: work, env: env()})
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/^Prune the side shoots in July \[1\], never in winter \.\n\n\[1\] Gardening — file:\/\/.*gardening\.md$/m)
    const thread = /--thread ([0-9a-f-]{36})/.exec(first.stderr)![1]!

    const followUp = await runCli(['chat', '--local', '--profile', 'compat', '--thread', thread, '--once', 'and when do I cut them?', '--json'], {cwd: work, env: env()})
    expect(followUp.code, followUp.stderr).toBe(0)
    expect(JSON.parse(followUp.stdout)).toMatchObject({thread_id: thread, sources: [{index: 1, title: 'Gardening'}]})
    const [rewrite, answer] = fake.requests.slice(-2).map((r) => r.body as {messages: Array<{role: string; content: string}>})
    expect(rewrite!.messages.at(-1)!.content).toMatch(/User: what do tomatoes need\?[\s\S]*Last question: and when do I cut them\?/)
    expect(answer!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user'])
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true)

    for (const output of [first.stdout, first.stderr, followUp.stdout, followUp.stderr]) expect(output).not.toContain(KEY)
    expect(await filesContaining(path.join(work, 'output'), KEY)).toEqual([])
  }, 90_000)

  it('reads questions line by line without a terminal: answers, /sources, /quit', async () => {
    const result = await runCli(['chat', '--local', '--profile', 'local'], {
      cwd: work, env: env(), input: 'which brokers speak STOMP?\n/sources\nand which one speaks AMQP?\n/quit\nnot asked\n',
    })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/> which brokers speak STOMP\?\nRabbitMQ speaks AMQP; ActiveMQ Artemis speaks STOMP\. \[1\]\n\[1\] Brokers — file:/)
    expect(result.stdout).toMatch(/\[1\] Brokers — file:.*brokers\.md \(score [\d.]+\)\n {4}# Brokers RabbitMQ/)
    expect(result.stdout).toContain('> and which one speaks AMQP?')
    expect(result.stdout).not.toContain('not asked')
  }, 60_000)

  it('refuses an unknown thread and an empty database (exit 2), and says which server it could not reach (exit 4)', async () => {
    const unknown = await runCli(['chat', '--local', '--thread', '00000000-0000-7000-8000-000000000000', '--once', 'hi'], {cwd: work, env: env()})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/Error \[CHAT_THREAD_NOT_FOUND\]/)

    const empty = await mkdtemp(path.join(work, 'empty-'))
    const nothing = await runCli(['chat', '--local', '--once', 'anything?'], {cwd: empty, env: env()})
    expect(nothing.code).toBe(2)
    expect(nothing.stdout).toBe('')
    expect(nothing.stderr).toMatch(/Error \[SEARCH_NO_EMBEDDINGS\]/)

    const unreachable = await runCli(['chat', '--once', 'hi', '--server', 'http://127.0.0.1:9'], {cwd: work, env: env()})
    expect(unreachable.code).toBe(4)
    expect(unreachable.stderr).toMatch(/Error \[CHAT_SERVER_UNREACHABLE\]: No factflow server answered at http:\/\/127\.0\.0\.1:9\.\nHint: .*--local/)
  }, 90_000)

  it('with --json prints every refusal as the JSON error document on stdout, with the same exit codes', async () => {
    const jsonError = (stdout: string) => {
      const document = JSON.parse(stdout) as {error: Record<string, unknown>}
      expect(Object.keys(document)).toEqual(['error'])
      expect(Object.keys(document.error).sort()).toEqual(['code', 'hint', 'message'])
      return document.error
    }
    const unknown = await runCli(['chat', '--local', '--thread', '00000000-0000-7000-8000-000000000000', '--once', 'hi', '--json'], {cwd: work, env: env()})
    expect(unknown.code).toBe(2)
    expect(jsonError(unknown.stdout)).toMatchObject({code: 'CHAT_THREAD_NOT_FOUND', message: expect.stringContaining('00000000-0000-7000-8000-000000000000')})
    expect(unknown.stderr).not.toContain('Error [')

    const empty = await mkdtemp(path.join(work, 'empty-json-'))
    const nothing = await runCli(['chat', '--local', '--once', 'anything?', '--json'], {cwd: empty, env: env()})
    expect(nothing.code).toBe(2)
    expect(jsonError(nothing.stdout)).toMatchObject({code: 'SEARCH_NO_EMBEDDINGS', hint: expect.stringContaining('embedding_generator')})

    const unreachable = await runCli(['chat', '--once', 'hi', '--json'], {cwd: work, env: {...env(), FACTFLOW_SERVER_URL: 'http://127.0.0.1:9'}})
    expect(unreachable.code).toBe(4)
    expect(jsonError(unreachable.stdout)).toMatchObject({code: 'CHAT_SERVER_UNREACHABLE', message: 'No factflow server answered at http://127.0.0.1:9.'})

    const noOnce = await runCli(['chat', '--local', '--json'], {cwd: work, env: env()})
    expect(noOnce.code).toBe(2)
    expect(jsonError(noOnce.stdout)).toMatchObject({code: 'FLAG_INVALID'})
  }, 90_000)
})

const tmux = spawnSync('tmux', ['-V']).status === 0
if (!tmux && process.env.CI === 'true') throw new Error('tmux is required in CI for the interactive chat test')

describe.skipIf(!tmux)('factflow chat --local in a real terminal (tmux)', () => {
  const session = `factflow-chat-${process.pid}`
  const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-J', '-S', '-200', '-t', session], {encoding: 'utf8'})
  async function waitFor(pattern: RegExp, timeoutMs = 45_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const text = screen()
      if (pattern.test(text)) return text
      if (Date.now() > deadline) throw new Error(`the screen never showed ${pattern}:\n${text}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  const send = (text: string) => execFileSync('tmux', ['send-keys', '-t', session, '-l', text]) && execFileSync('tmux', ['send-keys', '-t', session, 'Enter'])

  afterAll(() => {
    spawnSync('tmux', ['kill-session', '-t', session])
  })

  it('asks two questions in one thread, shows /sources, starts a thread with /new, lists /threads and ends with /quit', async () => {
    const command = `cd ${JSON.stringify(work)} && FACTFLOW_DB_WORKER_NICE=0 ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} chat --local --profile local; echo "exited $?"; sleep 60`
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', command], {env: {...process.env, CI: '', FORCE_COLOR: '0'}})
    await waitFor(/profile local \(local\) · slot factflow-hash-v2/)
    send('how do I redrive a dead-lettered message?')
    await waitFor(/run factflow dlq redrive with its id\. \[1\][^›]*\n\[1\] Brokers — file:/)
    send('and what keeps failed messages?')
    await waitFor(/› and what keeps failed messages\?\nDead-letter queues keep failed messages\. \[1\]/)
    send('/sources')
    await waitFor(/\[1\] Brokers — file:.*\(score [\d.]+\)/)
    send('/new')
    await waitFor(/New thread: the next question starts it\./)
    send('/threads')
    const threads = await waitFor(/\* [0-9a-f-]{36}\s+4 msgs {2}how do I redrive a dead-lettered message\?|[0-9a-f-]{36}\s+4 msgs {2}how do I redrive/)
    expect(threads).toMatch(/4 msgs {2}how do I redrive a dead-lettered message\?/)
    send('/quit')
    await waitFor(/exited 0/)
  }, 120_000)
})
