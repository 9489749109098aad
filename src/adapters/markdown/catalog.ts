import type {AdapterDefinition} from '../types.js'

// Declarations of the markdown family (spec/adapters.md) are added here.
export const markdownAdapters: AdapterDefinition[] = []
