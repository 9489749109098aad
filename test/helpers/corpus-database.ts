import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {builtinAdapterRegistry} from '../../src/adapters/registry.js'
import {silentLogger} from '../../src/logging/logger.js'
import {startRun, type RunSummary} from '../../src/runtime/run-pipeline.js'
import {startCorpusSite, type CorpusSite} from './corpus-site.js'

const PIPELINE = fileURLToPath(new URL('../../config/pipelines/sitemap-to-embeddings.yaml', import.meta.url))

export interface CorpusDatabase {
  site: CorpusSite
  /** The embedded database the run wrote (a PGlite directory). */
  databasePath: string
  summary: RunSummary
  /** Stops the site and removes the database. */
  close(): Promise<void>
}

/**
 * Serves `pages` pages of the Debian manuals (every page of `include` first, then a fixed sample as
 * distractors) and ingests them with the shipped sitemap-to-embeddings pipeline (the offline
 * `local` embedder) into a fresh embedded database. Check `corpusAvailable()` first.
 */
export async function ingestCorpus(options: {pages: number; include: string[]}): Promise<CorpusDatabase> {
  const site = await startCorpusSite({limit: options.pages, include: [...new Set(options.include)]})
  const work = await mkdtemp(path.join(tmpdir(), 'factflow-corpus-'))
  const close = async () => {
    await site.close()
    await rm(work, {recursive: true, force: true})
  }
  try {
    const pages = Math.max(options.pages, site.pages.length)
    const handle = await startRun({
      pipelinePath: PIPELINE, env: {SITEMAP_URL: site.sitemapUrl, MAX_URLS: String(pages)},
      databaseUrl: path.join(work, 'db'), storageUri: `file://${path.join(work, 'storage')}`,
    }, {logger: silentLogger, registry: builtinAdapterRegistry()})
    return {site, databasePath: path.join(work, 'db'), summary: await handle.summary, close}
  } catch (error) {
    await close()
    throw error
  }
}

/** The page a crawled document came from: the path of its URL, as labelled sets name pages (`python/library/json.html`). */
export const pageOfUrl = (url: string): string => new URL(url).pathname.slice(1)
