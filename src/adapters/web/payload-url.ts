import {UserInputError} from '../../errors/index.js'

/**
 * The absolute http(s) URL in `payload[field]` (fragment dropped), or a terminal `UserInputError`:
 * `PAYLOAD_FIELD_MISSING` when the field is absent or not a string, `URL_INVALID` otherwise.
 */
export function requireHttpUrl(payload: Readonly<Record<string, unknown>>, field: string, adapterType: string): string {
  const value = payload[field]
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UserInputError('PAYLOAD_FIELD_MISSING', `${adapterType} needs a string \`${field}\` in the payload.`, {
      hint: field === 'url'
        ? 'Put url_expander before it (one message per URL), or send { url } in the init payload.'
        : `Send { ${field} } in the init payload or from the previous stage.`,
    })
  }
  const url = parseHttpUrl(value)
  if (!url) {
    throw new UserInputError('URL_INVALID', `${adapterType}: \`${field}\` "${value}" is not an absolute http(s) URL.`, {
      hint: 'Give a full URL such as https://example.com/page.',
      details: {[field]: value},
    })
  }
  return url
}

/** `value` as an absolute http(s) URL without fragment, or undefined. */
export function parseHttpUrl(value: string, base?: string): string | undefined {
  let url: URL
  try {
    url = new URL(value.trim(), base)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  url.hash = ''
  return url.href
}
