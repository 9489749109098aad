import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {v7 as uuidv7} from 'uuid'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createScratchDatabase, type ScratchDatabase} from '../helpers/scratch-database.js'
import {POSTGRES_URL, serviceAvailable} from '../helpers/services.js'
import {fileReadPipelineYaml} from '../helpers/file-read-pipeline.js'
import {startTestServer, type TestServer} from './server-harness.js'

const postgresUp = await serviceAvailable('PostgreSQL', POSTGRES_URL)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies loosely
async function settled(server: TestServer, id: string): Promise<any> {
  await server.runtime.executions.get(id)?.outcome
  return (await server.call('GET', `/api/v1/executions/${id}`)).body
}

for (const store of ['pglite', 'postgres'] as const) {
  describe.skipIf(store === 'postgres' && !postgresUp)(`the dead-letter API on ${store}`, () => {
    let server: TestServer
    let scratch: ScratchDatabase | undefined
    let file: string
    let executionId: string

    beforeAll(async () => {
      scratch = store === 'postgres' ? await createScratchDatabase() : undefined
      server = await startTestServer({databaseUrl: scratch?.url})
      file = path.join(server.work, 'late.txt')
      const config = await server.call('POST', '/api/v1/configs', {name: 'redrive', config_yaml: fileReadPipelineYaml('redrive', file)})
      expect(config.body.is_runnable).toBe(true)
      const started = await server.call('POST', `/api/v1/configs/${config.body.id}/run?tag=redrive-run`)
      executionId = started.body.id
      expect((await settled(server, executionId)).status).toBe('completed')
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await scratch?.drop()
    })

    it('lists and shows a dead letter with its error, attempts, stage and payload', async () => {
      const list = await server.call('GET', `/api/v1/dlq?execution_id=redrive-run`)
      expect(list.status).toBe(200)
      expect(list.body).toMatchObject({total: 1, limit: 100, offset: 0, has_more: false})
      const [letter] = list.body.dead_letters
      expect(letter).toMatchObject({
        execution_id: executionId, route_id: 'read', stage: 'file_reader', attempts: 1, redriven_at: null,
        error_info: {code: 'FILE_NOT_FOUND'}, message: {payload: {path: file}, execution_id: executionId},
      })
      expect((await server.call('GET', `/api/v1/dlq/${letter.id}`)).body).toEqual(letter)
      expect((await server.call('GET', `/api/v1/executions/${executionId}/dlq`)).body.dead_letters).toEqual([letter])
      expect((await server.call('GET', '/api/v1/dlq?route_id=done')).body.total).toBe(0)
    })

    it('dead-letters a redriven message that fails again as a new letter, then completes it once the fault is fixed', async () => {
      const [first] = (await server.call('GET', `/api/v1/executions/${executionId}/dlq`)).body.dead_letters
      const again = await server.call('POST', `/api/v1/dlq/${first.id}/redrive`)
      expect(again.status).toBe(200)
      expect(again.body).toEqual({execution_id: executionId, redriven: 1, dead_letter_ids: [first.id], mode: 'restarted'})
      expect((await settled(server, executionId)).status).toBe('completed')
      const letters = (await server.call('GET', `/api/v1/executions/${executionId}/dlq`)).body.dead_letters
      expect(letters).toHaveLength(2)
      expect(letters[0]).toMatchObject({id: first.id, redriven_at: expect.any(String)})
      expect(letters[1]).toMatchObject({route_id: 'read', redriven_at: null, message: {message_id: first.message.message_id}})
      const twice = await server.call('POST', `/api/v1/dlq/${first.id}/redrive`)
      expect(twice.status).toBe(409)
      expect(twice.body.error_code).toBe('DEAD_LETTER_ALREADY_REDRIVEN')

      await writeFile(file, 'now it exists')
      const all = await server.call('POST', '/api/v1/dlq/redrive', {execution_id: 'redrive-run', route_id: 'read'})
      expect(all.body).toMatchObject({redriven: 1, dead_letter_ids: [letters[1].id], mode: 'restarted'})
      const execution = await settled(server, executionId)
      expect(execution.status).toBe('completed')
      const open = await server.call('GET', `/api/v1/dlq?execution_id=${executionId}&include_redriven=false`)
      expect(open.body.total).toBe(0)
      const done = await server.call('GET', `/api/v1/lineage?execution_id=${executionId}&route_id=done&status=completed`)
      expect(done.body.total).toBe(1)
      const stored = await server.runtime.storage.list(`executions/${executionId}/read/`)
      expect(stored.objects).toHaveLength(1)
      const nothing = await server.call('POST', '/api/v1/dlq/redrive', {execution_id: executionId})
      expect(nothing.body).toEqual({execution_id: executionId, redriven: 0, dead_letter_ids: [], mode: 'none'})
    }, 60_000)

    it('answers 404 for a missing letter or execution and 422 for a bad body or query', async () => {
      for (const [method, url, body] of [['GET', `/api/v1/dlq/${uuidv7()}`], ['GET', '/api/v1/dlq/nope'], ['POST', `/api/v1/dlq/${uuidv7()}/redrive`],
        ['GET', '/api/v1/dlq?execution_id=no-such-tag'], ['GET', `/api/v1/executions/${uuidv7()}/dlq`],
        ['POST', '/api/v1/dlq/redrive', {execution_id: 'no-such-tag'}]] as const) {
        const reply = await server.call(method, url, body)
        expect(reply.status, url).toBe(404)
      }
      for (const body of [{}, {execution_id: ''}, {execution_id: executionId, extra: 1}, {execution_id: 5}]) {
        const reply = await server.call('POST', '/api/v1/dlq/redrive', body)
        expect(reply.status, JSON.stringify(body)).toBe(422)
      }
      expect((await server.call('GET', '/api/v1/dlq?include_redriven=maybe')).status).toBe(422)
      expect((await server.call('GET', '/api/v1/dlq?limit=0')).status).toBe(422)
    })
  })
}
