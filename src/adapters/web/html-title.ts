const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'', nbsp: '\u00a0', '#39': '\''}

/** Only the head is searched: a title past this point is not a document title. */
const TITLE_SCAN_CHARS = 64 * 1024

/**
 * The text of the document's `<title>` (entities decoded, whitespace collapsed, at most 500
 * characters), or undefined. A cheap scan of the head, not an HTML parse: enough for provenance.
 */
export function extractTitle(html: string): string | undefined {
  const match = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html.slice(0, TITLE_SCAN_CHARS))
  if (!match) return undefined
  const title = match[1]!
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (entity, name: string) => {
      const lower = name.toLowerCase()
      if (lower.startsWith('#x')) return safeCodePoint(Number.parseInt(lower.slice(2), 16)) ?? entity
      if (lower.startsWith('#')) return safeCodePoint(Number.parseInt(lower.slice(1), 10)) ?? entity
      return ENTITIES[lower] ?? entity
    })
    .replace(/\s+/g, ' ')
    .trim()
  return title === '' ? undefined : title.slice(0, 500)
}

function safeCodePoint(code: number): string | undefined {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined
}
