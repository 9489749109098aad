import type {AdapterDefinition} from '../types.js'

// Declarations of the web family (spec/adapters.md) are added here.
export const webAdapters: AdapterDefinition[] = []
