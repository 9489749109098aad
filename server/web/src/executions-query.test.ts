import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {takePreloaded} from './api.js'
import {executionsListPath} from './executions-query.js'

const preloadHolder = globalThis as {__factflowPreload?: Record<string, Promise<Response>>}

describe('the executions list request started by index.html', () => {
  afterEach(() => { delete preloadHolder.__factflowPreload })

  it('is the very path the page asks for when unfiltered, and not when filtered or paged', async () => {
    const html = await readFile(path.resolve('server/web/index.html'), 'utf8')
    const key = /__factflowPreload=\{"([^"]+)":fetch\("\/api\/v1([^"]+)"/.exec(html)
    expect(key).not.toBeNull()
    expect(key![1]).toBe(key![2])
    expect(executionsListPath({status: '', config_id: '', tag: '', offset: 0})).toBe(key![1])
    expect(executionsListPath({tag: 'nightly'})).not.toBe(key![1])
    expect(executionsListPath({offset: 50})).toBe('/executions?limit=50&offset=50')
  })

  it('is taken once, for a GET of that path only', async () => {
    const response = Promise.resolve(new Response('{"executions":[]}'))
    preloadHolder.__factflowPreload = {'/executions?limit=50': response}
    expect(takePreloaded('/executions?limit=50', {method: 'POST'})).toBeUndefined()
    expect(takePreloaded('/executions?limit=50&status=failed')).toBeUndefined()
    expect(takePreloaded('/executions?limit=50')).toBe(response)
    expect(takePreloaded('/executions?limit=50')).toBeUndefined()
  })
})
