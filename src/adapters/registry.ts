import {closest} from 'fastest-levenshtein'

import {UserInputError} from '../errors/index.js'
import {filesAdapters} from './files/catalog.js'
import {llmAdapters} from './llm/catalog.js'
import {markdownAdapters} from './markdown/catalog.js'
import {testingAdapters} from './testing/catalog.js'
import type {AdapterDefinition} from './types.js'
import {webAdapters} from './web/catalog.js'

/**
 * The explicit registry of adapter types. Built from declarations only: importing it loads zod
 * schemas, never adapter implementations (see `AdapterDefinition.load`).
 */
export interface AdapterRegistry {
  get(type: string): AdapterDefinition | undefined
  /** Throws a coded `UserInputError` naming the nearest registered types. */
  require(type: string): AdapterDefinition
  list(): readonly AdapterDefinition[]
  types(): readonly string[]
}

export function createAdapterRegistry(definitions: readonly AdapterDefinition[]): AdapterRegistry {
  const byType = new Map<string, AdapterDefinition>()
  for (const definition of definitions) {
    if (byType.has(definition.type)) throw new Error(`adapter type ${definition.type} declared twice`)
    byType.set(definition.type, definition)
  }
  const types = [...byType.keys()].sort()
  return {
    get: (type) => byType.get(type),
    require(type) {
      const found = byType.get(type)
      if (found) return found
      throw new UserInputError('ADAPTER_UNKNOWN', `No adapter type "${type}" is registered.`, {
        hint: `Did you mean "${closest(type, types)}"? Run \`factflow adapters list\` for the catalog.`,
      })
    },
    list: () => types.map((type) => byType.get(type)!),
    types: () => types,
  }
}

/** Every built-in adapter, in catalog order. */
export const builtinAdapters: readonly AdapterDefinition[] = [
  ...webAdapters,
  ...filesAdapters,
  ...markdownAdapters,
  ...llmAdapters,
  ...testingAdapters,
]

let builtin: AdapterRegistry | undefined
/** The registry of built-in adapters (built on first use; declarations are immutable). */
export function builtinAdapterRegistry(): AdapterRegistry {
  builtin ??= createAdapterRegistry(builtinAdapters)
  return builtin
}
