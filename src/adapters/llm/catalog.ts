import type {AdapterDefinition} from '../types.js'

// Declarations of the llm family (spec/adapters.md) are added here.
export const llmAdapters: AdapterDefinition[] = []
