import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto'

/** `sha256=<hex HMAC-SHA256 of "timestamp.body">`, the `X-Factflow-Signature` header (docs/reference/server.md). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export interface VerifyWebhookOptions {
  /** Refuse timestamps further than this from now (default 300 s): a replayed old delivery fails. */
  toleranceSeconds?: number
  /** Unix seconds (default: now). */
  now?: number
}

/**
 * What a receiver runs on a delivery: the signature over `timestamp.body` (the raw body, as
 * received) is the secret's, in constant time, and the timestamp is recent.
 */
export function verifyWebhookSignature(secret: string, headers: {timestamp: string; signature: string}, body: string, options: VerifyWebhookOptions = {}): boolean {
  const timestamp = Number(headers.timestamp)
  const now = options.now ?? Math.floor(Date.now() / 1000)
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(signWebhook(secret, headers.timestamp, body))
  const given = Buffer.from(headers.signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** A new subscription secret: 32 random bytes, `whsec_` + base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`
}
