import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {BIN, PROJECT_ROOT, runCli} from '../helpers/cli.js'
import {type FakeLlmServer, startFakeLlmServer, wallClockMs} from '../helpers/fake-llm-server.js'

const PIPELINE = path.join(PROJECT_ROOT, 'config/pipelines/folder-to-embeddings.yaml')
/** Pause between the test server's frames: a model writing 4 characters every 40 ms. */
const FRAME_MS = 40
const ANSWER = 'Redrive the dead-lettered message with factflow dlq redrive and its id [1]; see also [7].'
let work: string
let fake: FakeLlmServer
const env = {FAKE_LLM_KEY: 'sk-test-stream-key', FACTFLOW_DB_WORKER_NICE: '0'}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'factflow-chat-stream-'))
  await mkdir(path.join(work, 'docs'))
  await writeFile(path.join(work, 'docs', 'brokers.md'), '# Brokers\n\nDead-letter queues keep failed messages.\n\n'
    + '## Redrive\n\nTo redrive a dead-lettered message, run factflow dlq redrive with its id.\n')
  fake = await startFakeLlmServer({streamDelayMs: FRAME_MS, respond: () => ANSWER})
  await writeFile(path.join(work, 'factflow.yaml'), [
    'llm:', '  providers:',
    `    - {name: compat, provider_type: openai_compatible, base_url: "${fake.openaiBaseUrl}", api_key: "\${FAKE_LLM_KEY}", model: fake-model}`,
    `    - {name: claude, provider_type: anthropic, base_url: "${fake.url}", api_key: "\${FAKE_LLM_KEY}", model: fake-claude}`, '',
  ].join('\n'))
  const run = await runCli(['run', PIPELINE, '--no-tui'], {cwd: work, env: {...env, DOCS_DIR: path.join(work, 'docs')}, timeoutMs: 150_000})
  expect(run.code, run.stderr).toBe(0)
}, 180_000)
afterAll(async () => {
  await fake?.close()
  if (work) await rm(work, {recursive: true, force: true})
})
beforeEach(() => fake.reset())

/** Runs the built binary, noting the wall-clock time at which stdout first held `marker`. */
function runTimed(args: string[], marker: string): Promise<{code: number | null; stdout: string; stderr: string; markerAt: number | undefined}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd: work, env: {...process.env, FORCE_COLOR: '0', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    let markerAt: number | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (markerAt === undefined && stdout.includes(marker)) markerAt = wallClockMs()
    })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr, markerAt})
    })
  })
}

describe('factflow chat --once against model test servers (built binary, real SDKs)', () => {
  it.each(['compat', 'claude'])('prints the first tokens while the %s server is still streaming, and drops citations of passages not retrieved', async (profile) => {
    const result = await runTimed(['chat', '--local', '--profile', profile, '--once', 'how do I redrive a dead-lettered message?'], 'Redrive')
    expect(result.code, result.stderr).toBe(0)
    const answer = fake.requests.at(-1)!
    expect(answer.path).toMatch(profile === 'compat' ? /\/chat\/completions$/ : /\/messages$/)
    const {firstByteAt, lastByteAt} = answer
    expect(firstByteAt).toBeDefined()
    // The stream lasts ~25 frames × 40 ms; the first token must be on the terminal long before its end.
    expect(lastByteAt! - firstByteAt!).toBeGreaterThan(500)
    expect(result.markerAt, 'the first token was never printed').toBeDefined()
    expect(result.markerAt!, `first token printed ${(result.markerAt! - firstByteAt!).toFixed(0)} ms after the server's first byte; the server's last byte came ${(lastByteAt! - firstByteAt!).toFixed(0)} ms after it`)
      .toBeLessThan(lastByteAt!)
    console.log(`chat ttft (${profile}): ${(result.markerAt! - firstByteAt!).toFixed(1)} ms after the server's first byte (stream ${(lastByteAt! - firstByteAt!).toFixed(0)} ms)`)
    expect(result.stdout).toMatch(/^Redrive the dead-lettered message with factflow dlq redrive and its id \[1\]; see also \.\n\n\[1\] Brokers — file:/)
  }, 60_000)

  it.each(['compat', 'claude'])('retries a 429 from the %s server, then answers', async (profile) => {
    fake.failNext({status: 429, retryAfterMs: 5})
    const result = await runCli(['chat', '--local', '--profile', profile, '--once', 'how do I redrive a dead-lettered message?', '--json'], {cwd: work, env})
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).answer).toContain('factflow dlq redrive and its id [1]')
    expect(fake.requests.map((request) => request.status)).toEqual([429, 200])
  }, 60_000)

  it.each(['compat', 'claude'])('ends cleanly when the %s server fails mid-stream: what was said stays printed and stored, then a clear error (exit 1)', async (profile) => {
    fake.failNext({midStreamErrorAfterChunks: 5})
    const result = await runCli(['chat', '--local', '--profile', profile, '--once', 'how do I redrive a dead-lettered message?'], {cwd: work, env})
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('Redrive the dead-let\n')
    expect(result.stderr).toMatch(/^Error \[LLM_[A-Z_0-9]+\]: .*\(thread [0-9a-f-]{36}\)$/m)
    const thread = /\(thread ([0-9a-f-]{36})\)/.exec(result.stderr)![1]!

    fake.failNext({midStreamErrorAfterChunks: 5})
    const json = await runCli(['chat', '--local', '--profile', profile, '--thread', thread, '--once', 'and how do I find its id?', '--json'], {cwd: work, env})
    expect(json.code, `${json.stdout}\n${json.stderr}`).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({error: {code: expect.stringMatching(/^LLM_/), message: expect.stringContaining(thread)}})
    // The rewrite of the follow-up saw the first, cut answer: it was kept in the thread.
    const rewrite = fake.requests.find((request) => JSON.stringify(request.body).includes('Last question: and how do I find its id?'))
    expect(JSON.stringify(rewrite?.body)).toContain('Assistant: Redrive the dead-let')
  }, 90_000)
})
