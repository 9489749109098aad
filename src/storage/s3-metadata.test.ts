import {describe, expect, it} from 'vitest'

import {fromS3Metadata, S3_USER_METADATA_LIMIT, toS3Metadata} from './s3-metadata.js'
import type {ObjectMetadata} from './types.js'

const base: ObjectMetadata = {content_type: 'text/html', content_length: 3, sha256: 'ab', created_at: '2026-01-01T00:00:00.000Z'}

describe('S3 metadata headers', () => {
  it('round-trips text with spaces, percent signs, non-ASCII and lone surrogates, and numbers', () => {
    const metadata = {...base, title: ' Über 100% 日本 ', source_url: 'https://x.org/a?b=c&d=%41', pages: 4}
    const {ContentType, Metadata} = toS3Metadata('k', metadata)
    for (const value of Object.values(Metadata)) expect(value).toMatch(/^[\x21-\x7e]*$/)
    expect(Metadata.source_url).toBe('https://x.org/a?b=c&d=%2541')
    expect(fromS3Metadata('k', {ContentType, ContentLength: 3, Metadata})).toEqual(metadata)
    const lone = toS3Metadata('k', {...base, title: 'a\ud800b'}).Metadata.title
    expect(lone).toMatch(/^[\x21-\x7e]*$/)
  })

  it('refuses metadata over S3 limit with STORAGE_METADATA_TOO_LARGE', () => {
    expect(() => toS3Metadata('k', {...base, title: 'x'.repeat(S3_USER_METADATA_LIMIT)}))
      .toThrow(expect.objectContaining({code: 'STORAGE_METADATA_TOO_LARGE'}))
  })

  it('fills what an object written by another tool lacks', () => {
    const lastModified = new Date('2025-05-05T00:00:00Z')
    expect(fromS3Metadata('a/b.md', {ContentLength: 9, LastModified: lastModified})).toEqual({
      content_type: 'text/markdown', content_length: 9, sha256: '', created_at: lastModified.toISOString(),
    })
  })
})
