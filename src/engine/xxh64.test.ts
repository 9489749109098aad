import {readFile} from 'node:fs/promises'

import {describe, expect, it} from 'vitest'
import xxhash from 'xxhash-wasm'

import {XXH64_WASM_BASE64} from './xxh64-wasm.js'
import {xxh64, Xxh64Digest} from './xxh64.js'

const reference = await xxhash()

/** Deterministic pseudo-random text over `alphabet`. */
function text(length: number, seed: number, alphabet: string): string {
  let x = seed
  let out = ''
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0
    out += alphabet[x % alphabet.length]
  }
  return out
}

describe('xxh64', () => {
  it('gives the published XXH64 values', () => {
    expect(String(xxh64(''))).toBe('xxh64:ef46db3751d8e999')
    expect(String(xxh64('a'))).toBe('xxh64:d24ec4f1a98c6e5b')
    expect(String(xxh64('abc'))).toBe('xxh64:44bc2cf5ad770999')
  })

  it('equals xxhash-wasm for every length through the stripe, lane and byte tails, and for non-ASCII', () => {
    const inputs: string[] = []
    for (let length = 0; length <= 130; length++) inputs.push(text(length, length, 'abcdefghijklmnopqrstuvwxyz0123456789{}":,'))
    inputs.push(text(1024, 7, 'xyz'), text(300, 9, 'aéü€🎉\u0000"'), 'lone \ud800 surrogate', text(70_000, 3, 'ab€'))
    for (const input of inputs) expect(String(xxh64(input)), `length ${input.length}`).toBe(`xxh64:${reference.h64ToString(input)}`)
  })

  it('still hashes short input after a long one grew its memory', () => {
    xxh64('€'.repeat(100_000))
    expect(String(xxh64('abc'))).toBe('xxh64:44bc2cf5ad770999')
  })

  it('spells a digest the same way into bytes, as a string and as JSON', () => {
    const digest = xxh64('{"n":1}')
    const bytes = new Uint8Array(Xxh64Digest.TEXT_LENGTH + 2)
    expect(digest.writeText(bytes, 1)).toBe(Xxh64Digest.TEXT_LENGTH + 1)
    expect(Buffer.from(bytes.subarray(1, -1)).toString('latin1')).toBe(String(digest))
    expect(JSON.stringify({h: digest})).toBe(JSON.stringify({h: String(digest)}))
    expect(String(new Xxh64Digest(0, -1))).toBe('xxh64:00000000ffffffff')
  })
})

describe('xxh64-wasm.ts', () => {
  it('holds the module compiled from xxh64.wat (after editing the .wat: node test/tools/build-xxh64.mjs)', async () => {
    // @ts-expect-error: a plain JavaScript build tool without type declarations
    const {compileXxh64} = await import('../../test/tools/build-xxh64.mjs') as {compileXxh64(): Promise<string>}
    expect(await compileXxh64()).toBe(XXH64_WASM_BASE64)
    expect(await readFile(new URL('xxh64.wat', import.meta.url), 'utf8')).toContain('(export "xxh64")')
  })
})
