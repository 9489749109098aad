import type {z} from 'zod'

import {UserInputError} from '../../errors/index.js'
import type {Adapter, AdapterOutput, AdapterResources} from '../types.js'
import type {urlExpanderConfig} from './catalog.js'
import {parseHttpUrl} from './payload-url.js'
import {sharedState, STATE_KEYS} from './shared-state.js'
import {storedPagesFor} from './stored-pages.js'

export type UrlExpanderConfig = z.output<typeof urlExpanderConfig>

/**
 * url_expander (docs/reference/adapters.md): one `{ url }` message per URL of `payload.urls`, at most
 * `max_urls` per message. URLs are normalised (absolute http(s), fragment dropped) and
 * de-duplicated across every url_expander of the execution through `executionState`: the first
 * message to emit a URL claims it, and later messages skip it. A redelivered message (a retry after
 * a failed publish) emits its own claimed URLs again rather than losing them. The claim lives in
 * memory: an execution resumed in another process starts with an empty set. Entries that are not
 * http(s) URLs are skipped with a warning; a payload without a `urls` list is a terminal
 * `PAYLOAD_FIELD_MISSING`. The records of earlier runs for the emitted URLs are looked up ahead
 * (`StoredPages.prefetch`), in batches, for web_scraper's conditional requests.
 */
export function createAdapter(config: UrlExpanderConfig, resources: AdapterResources): Adapter {
  const claims = sharedState(resources.executionState, STATE_KEYS.expandedUrls, () => new Map<string, string>())
  const storedPages = storedPagesFor(resources)
  return {
    close: () => storedPages.close(),
    async process(context) {
      const urls = context.payload.urls
      if (!Array.isArray(urls)) {
        throw new UserInputError('PAYLOAD_FIELD_MISSING', 'url_expander needs a `urls` list in the payload.', {
          hint: 'Put sitemap_parser before url_expander, or send { urls: [...] } in the init payload.',
        })
      }
      // Unique per message and stage, and the same on redelivery.
      const claim = context.storageKey()
      const emitted = new Set<string>()
      const outputs: AdapterOutput[] = []
      let invalid = 0
      let duplicates = 0
      for (const value of urls) {
        if (config.max_urls !== undefined && outputs.length >= config.max_urls) break
        const url = typeof value === 'string' ? parseHttpUrl(value) : undefined
        if (!url) {
          invalid++
          continue
        }
        const owner = claims.get(url)
        if ((owner !== undefined && owner !== claim) || emitted.has(url)) {
          duplicates++
          continue
        }
        claims.set(url, claim)
        emitted.add(url)
        outputs.push({payload: {url}})
      }
      if (invalid > 0) context.logger.warn({invalid}, 'url_expander skipped entries that are not http(s) URLs')
      context.logger.debug({emitted: outputs.length, duplicates, given: urls.length}, 'urls expanded')
      storedPages.prefetch(emitted)
      return outputs
    },
  }
}
