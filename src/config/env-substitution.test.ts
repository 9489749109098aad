import {describe, expect, it} from 'vitest'

import {resolvePlainScalar, substituteEnv} from './env-substitution.js'

describe('substituteEnv', () => {
  it('replaces a set variable', () => {
    expect(substituteEnv('https://${HOST}/x', {HOST: 'example.com'})).toEqual({value: 'https://example.com/x', missing: [], whole: false})
  })

  it('uses the default only when the variable is unset', () => {
    expect(substituteEnv('${A:-fallback}', {}).value).toBe('fallback')
    expect(substituteEnv('${A:-fallback}', {A: 'set'}).value).toBe('set')
    expect(substituteEnv('${A:-}', {}).value).toBe('')
  })

  it('keeps a set but empty variable empty (set wins over the default)', () => {
    expect(substituteEnv('${A:-fallback}', {A: ''}).value).toBe('')
  })

  it('reports an unset variable without default and never turns it into an empty string', () => {
    const result = substituteEnv('a ${MISSING} b ${OTHER}', {})
    expect(result.missing).toEqual(['MISSING', 'OTHER'])
    expect(result.value).toBe('a ${MISSING} b ${OTHER}')
  })

  it('treats $${ as a literal ${', () => {
    expect(substituteEnv('$${HOME}', {HOME: '/root'})).toEqual({value: '${HOME}', missing: [], whole: false})
  })

  it('leaves malformed placeholders alone', () => {
    expect(substituteEnv('${1A} ${', {}).value).toBe('${1A} ${')
  })

  it('says when the whole value was one placeholder', () => {
    expect(substituteEnv('${N:-5}', {}).whole).toBe(true)
    expect(substituteEnv('x${N:-5}', {}).whole).toBe(false)
    expect(substituteEnv('${A:-1}${B:-2}', {}).whole).toBe(false)
  })
})

describe('resolvePlainScalar', () => {
  it('types numbers, booleans and null as the YAML core schema does', () => {
    expect(resolvePlainScalar('100')).toBe(100)
    expect(resolvePlainScalar('-2.5e3')).toBe(-2500)
    expect(resolvePlainScalar('true')).toBe(true)
    expect(resolvePlainScalar('FALSE')).toBe(false)
    expect(resolvePlainScalar('~')).toBeNull()
    expect(resolvePlainScalar('')).toBeNull()
  })

  it('keeps anything else a string', () => {
    expect(resolvePlainScalar('1.0.0')).toBe('1.0.0')
    expect(resolvePlainScalar('yes')).toBe('yes')
    expect(resolvePlainScalar('0x1F')).toBe('0x1F')
  })
})
