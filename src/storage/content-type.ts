const BY_EXTENSION: Record<string, string> = {
  md: 'text/markdown', markdown: 'text/markdown', html: 'text/html', htm: 'text/html', txt: 'text/plain',
  csv: 'text/csv', json: 'application/json', jsonl: 'application/x-ndjson', ndjson: 'application/x-ndjson',
  xml: 'application/xml', yaml: 'application/yaml', yml: 'application/yaml', pdf: 'application/pdf',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  zip: 'application/zip', gz: 'application/gzip',
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

/** Content type guessed from a key's extension; `application/octet-stream` when unknown. */
export function contentTypeForKey(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  if (dot <= 0) return DEFAULT_CONTENT_TYPE
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? DEFAULT_CONTENT_TYPE
}

const TEXTUAL_APPLICATION = new Set([
  'application/json', 'application/xml', 'application/yaml', 'application/x-yaml', 'application/x-ndjson',
  'application/javascript', 'application/ecmascript', 'application/x-sh', 'application/sql', 'application/graphql',
  'application/toml', 'application/xhtml+xml',
])

/** True for `text/*`, JSON/XML/YAML and `+json`/`+xml` suffixed types (parameters are ignored). */
export function isTextualContentType(contentType: string): boolean {
  const essence = contentType.split(';')[0].trim().toLowerCase()
  return essence.startsWith('text/') || TEXTUAL_APPLICATION.has(essence)
    || essence.endsWith('+json') || essence.endsWith('+xml')
}

/** The `charset` parameter of a content type, if any (`text/html; charset=ISO-8859-1` → `iso-8859-1`). */
export function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)
  return match?.[1].toLowerCase()
}
