import sax from 'sax'

/** What one sitemap document lists: page URLs (`urlset`, text) or more sitemaps (`sitemapindex`). */
export interface ParsedSitemap {
  kind: 'urlset' | 'sitemapindex' | 'text'
  /** `<loc>` values (or lines of a text sitemap) in document order, trimmed, not yet validated. */
  locs: string[]
}

/** The document is not a sitemap: the message says why. */
export class SitemapSyntaxError extends Error {}

/**
 * Parses a sitemap (sitemaps.org protocol): an XML `urlset` or `sitemapindex` (any namespace
 * prefix), or a plain-text sitemap (one URL per line). Uses sax in strict mode: malformed XML,
 * another root element (an HTML error page, an RSS feed) or a text file without any URL throw
 * `SitemapSyntaxError`.
 */
export function parseSitemap(text: string): ParsedSitemap {
  const start = text.replace(/^\uFEFF/, '').trimStart()
  if (!start.startsWith('<')) return parseTextSitemap(start)

  const parser = sax.parser(true, {xmlns: true})
  const stack: string[] = []
  const locs: string[] = []
  let kind: ParsedSitemap['kind'] | undefined
  let loc: string | undefined
  parser.onopentag = (tag) => {
    const name = 'local' in tag ? tag.local : tag.name
    if (stack.length === 0) {
      if (name !== 'urlset' && name !== 'sitemapindex') throw new SitemapSyntaxError(`the root element is <${tag.name}>, not <urlset> or <sitemapindex>`)
      kind = name
    }
    stack.push(name)
    if (name === 'loc' && stack[stack.length - 2] === (kind === 'urlset' ? 'url' : 'sitemap')) loc = ''
  }
  const onText = (chunk: string) => {
    if (loc !== undefined) loc += chunk
  }
  parser.ontext = onText
  parser.oncdata = onText
  // Without a handler sax records some errors (an unclosed root at the end) and carries on.
  parser.onerror = (error) => {
    throw error
  }
  parser.onclosetag = () => {
    if (stack.pop() === 'loc' && loc !== undefined) {
      const value = loc.trim()
      if (value !== '') locs.push(value)
      loc = undefined
    }
  }
  try {
    parser.write(text).close()
  } catch (error) {
    if (error instanceof SitemapSyntaxError) throw error
    throw new SitemapSyntaxError(`malformed XML: ${(error as Error).message.split('\n')[0]}`)
  }
  if (!kind) throw new SitemapSyntaxError('no root element')
  return {kind, locs}
}

function parseTextSitemap(text: string): ParsedSitemap {
  const locs = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => /^https?:\/\//i.test(line))
  if (locs.length === 0) throw new SitemapSyntaxError('neither XML nor a list of URLs')
  return {kind: 'text', locs}
}
