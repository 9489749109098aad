import {describe, expect, it} from 'vitest'

import {decodeBody} from './charset.js'

const bytes = (...values: number[]) => Uint8Array.from(values)

describe('decodeBody', () => {
  it('decodes windows-1252 punctuation that ISO-8859-1 lacks (€, curly quotes, dashes)', () => {
    expect(decodeBody(bytes(0x80, 0x20, 0x93, 0x61, 0x94, 0x20, 0x97), 'text/html; charset=windows-1252')).toEqual({text: '€ “a” —', charset: 'windows-1252'})
  })

  it('decodes a body labelled iso-8859-1 as windows-1252, as browsers do', () => {
    expect(decodeBody(bytes(0x63, 0x61, 0x66, 0xe9, 0x20, 0x80), 'text/html; charset=ISO-8859-1').text).toBe('café €')
  })

  it('lets the Content-Type charset win over a <meta> that says otherwise', () => {
    const html = Buffer.concat([Buffer.from('<meta charset="shift_jis">'), Buffer.from([0xe9])])
    expect(decodeBody(html, 'text/html; charset=iso-8859-1').text).toBe('<meta charset="shift_jis">é')
  })

  it('reads the charset from <meta> when the header names none', () => {
    const html = Buffer.concat([Buffer.from('<meta charset="shift_jis"><p>'), Buffer.from([0x93, 0xfa])])
    expect(decodeBody(html, 'text/html')).toEqual({text: '<meta charset="shift_jis"><p>日', charset: 'Shift_JIS'})
  })

  it('lets a byte-order mark win over the header, and strips it', () => {
    expect(decodeBody(bytes(0xef, 0xbb, 0xbf, 0xc3, 0xa9), 'text/html; charset=iso-8859-1')).toEqual({text: 'é', charset: 'UTF-8'})
  })

  it('defaults to UTF-8 and falls back to it for an unknown label', () => {
    expect(decodeBody(Buffer.from('é'), undefined)).toEqual({text: 'é', charset: 'UTF-8'})
    expect(decodeBody(Buffer.from('é'), 'text/html; charset=x-made-up').text).toBe('é')
  })

  it('does not look for <meta> in XML', () => {
    expect(decodeBody(Buffer.from('<meta charset="shift_jis"/>é'), 'application/xml').charset).toBe('UTF-8')
  })
})
