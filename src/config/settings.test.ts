import {describe, expect, it} from 'vitest'

import {UserInputError} from '../errors/index.js'
import {parseProfileList, readLlmProfileNames} from './settings.js'

describe('readLlmProfileNames', () => {
  it('reads llm.providers[].name and ignores the rest of the settings', () => {
    const text = `server: { port: 8000 }
llm:
  providers:
    - name: default
      provider_type: openai
      api_key: \${OPENAI_API_KEY}
    - name: embed
      provider_type: openai
`
    expect(readLlmProfileNames(text, 'factflow.yaml')).toEqual(['default', 'embed'])
  })

  it('returns no names for settings without an llm section or for an empty file', () => {
    expect(readLlmProfileNames('server: { port: 1 }\n', 'a.yaml')).toEqual([])
    expect(readLlmProfileNames('', 'a.yaml')).toEqual([])
  })

  it('throws a coded user error for invalid YAML or a malformed llm section', () => {
    expect(() => readLlmProfileNames('llm: [', 'a.yaml')).toThrow(UserInputError)
    expect(() => readLlmProfileNames('llm: { providers: [ { provider_type: x } ] }', 'a.yaml')).toThrow(/SETTINGS|llm/)
  })
})

describe('parseProfileList', () => {
  it('splits a comma-separated list and drops blanks', () => {
    expect(parseProfileList(' a, b,,c ')).toEqual(['a', 'b', 'c'])
    expect(parseProfileList(undefined)).toEqual([])
  })
})
