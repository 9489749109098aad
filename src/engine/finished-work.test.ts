import {describe, expect, it} from 'vitest'

import {pipelineSchema} from '../config/pipeline-schema.js'
import {LOCAL_PROFILE, type LlmProfile} from '../llm/settings.js'
import {pipelineFingerprint, stagesThatMayEnd} from './finished-work.js'

const pipeline = (routes: Record<string, unknown>) => pipelineSchema.parse({version: '1.0', routes, init_message: {route: Object.keys(routes)[0]}})
const route = (queue: string, types: string[], outbound: string[] = []) => ({
  inbound: {queue}, adapters: types.map((type) => ({type})), outbound: outbound.map((out) => ({queue: out})),
})

describe('stagesThatMayEnd: where an unchanged page may end its chain', () => {
  it('after the scraper of a crawl whose later routes only convert and embed', () => {
    const stages = stagesThatMayEnd(pipeline({
      crawl: route('/queue/crawl', ['sitemap_parser', 'url_expander', 'web_scraper', 'web_content_storage'], ['/queue/md']),
      md: route('/queue/md', ['storage_retriever', 'html_to_markdown', 'smart_segmenter', 'segment_publisher'], ['/queue/embed']),
      embed: route('/queue/embed', ['embedding_generator']),
    }))
    expect(stages.has('crawl\u0000web_scraper')).toBe(true)
    expect(stages.has('crawl\u0000web_content_storage')).toBe(true)
    // Before the scraper, a later stage discovers URLs.
    expect(stages.has('crawl\u0000url_expander')).toBe(false)
  })

  it('never when a later stage or route discovers URLs, or the pipeline loops back', () => {
    expect(stagesThatMayEnd(pipeline({
      crawl: route('/queue/crawl', ['web_scraper', 'llm_transform', 'url_expander', 'web_content_storage']),
    })).has('crawl\u0000web_scraper')).toBe(false)
    expect(stagesThatMayEnd(pipeline({
      crawl: route('/queue/crawl', ['web_scraper', 'web_content_storage'], ['/queue/links']),
      links: route('/queue/links', ['llm_transform'], ['/queue/more']),
      more: route('/queue/more', ['url_expander', 'web_scraper']),
    })).has('crawl\u0000web_scraper')).toBe(false)
    expect(stagesThatMayEnd(pipeline({
      crawl: route('/queue/crawl', ['web_scraper', 'web_content_storage'], ['/queue/md']),
      md: route('/queue/md', ['html_to_markdown'], ['/queue/crawl']),
    })).has('crawl\u0000web_scraper')).toBe(false)
  })
})

describe('pipelineFingerprint', () => {
  const snapshot = {version: '1.0', name: 'a', routes: {crawl: route('/queue/crawl', ['web_scraper'])}, init_message: {route: 'crawl', payload: {sitemap_url: 'https://a.example/sitemap.xml'}}}
  const profiles = (...extra: LlmProfile[]) => new Map([['local', LOCAL_PROFILE], ...extra.map((p) => [p.name, p] as const)])
  const openai: LlmProfile = {name: 'embed', provider_type: 'openai', model: 'text-embedding-3-small', api_key: 'sk-one', max_concurrency: 50, timeout: 120}

  it('is the same whatever the init message, name, description or API keys', () => {
    const base = pipelineFingerprint(snapshot, profiles(openai))
    expect(base).toMatch(/^[0-9a-f]{64}$/)
    expect(pipelineFingerprint({...snapshot, name: 'b', description: 'x', init_message: {route: 'crawl', payload: {sitemap_url: 'https://b.example/'}}}, profiles(openai))).toBe(base)
    expect(pipelineFingerprint(snapshot, profiles({...openai, api_key: 'sk-two'}))).toBe(base)
  })

  it('changes with the routes or a profile\'s model', () => {
    const base = pipelineFingerprint(snapshot, profiles(openai))
    expect(pipelineFingerprint({...snapshot, routes: {crawl: route('/queue/crawl', ['web_scraper', 'web_content_storage'])}}, profiles(openai))).not.toBe(base)
    expect(pipelineFingerprint(snapshot, profiles({...openai, model: 'text-embedding-3-large'}))).not.toBe(base)
  })
})
