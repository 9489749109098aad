import {TextDecoder} from '@exodus/bytes/encoding.js'
import sniffHTMLEncoding from 'html-encoding-sniffer'

import {charsetOf} from '../../storage/content-type.js'

export interface DecodedText {
  text: string
  /** WHATWG name of the encoding used (`UTF-8`, `windows-1252`, `Shift_JIS` …). */
  charset: string
}

/**
 * Decodes a fetched text body as a browser would (HTML Standard encoding sniffing): a byte-order
 * mark first, then the Content-Type charset, then `<meta charset>` / `<meta http-equiv>` in the
 * first 1024 bytes (HTML only), then UTF-8. `iso-8859-1` is decoded as windows-1252, as WHATWG
 * requires (the two differ only where ISO-8859-1 has control characters). An encoding the decoder
 * does not know falls back to UTF-8 with replacement characters, never an error.
 *
 * Decoding uses @exodus/bytes (WHATWG Encoding Standard), not Node's TextDecoder: Node 20.20's
 * decodes `windows-1252` as ISO-8859-1, turning € and curly quotes into C1 control characters.
 */
export function decodeBody(body: Uint8Array, contentType: string | null | undefined): DecodedText {
  const essence = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  const xml = essence.endsWith('/xml') || essence.endsWith('+xml')
  const charset = sniffHTMLEncoding(body, {xml, transportLayerEncodingLabel: charsetOf(contentType ?? ''), defaultEncoding: 'UTF-8'})
  try {
    // The decoder strips a BOM matching its encoding.
    return {text: new TextDecoder(charset).decode(body), charset}
  } catch {
    return {text: new TextDecoder('utf-8').decode(body), charset: 'UTF-8'}
  }
}
