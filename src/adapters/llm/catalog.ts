import {z} from 'zod'

import {defineAdapter} from '../types.js'

const profile = z.string().min(1).default('default')
  .describe('LLM or embedding provider profile from the app settings (`local` and `default` always exist)')
const model = z.string().min(1).optional().describe('Model name (default: the profile\'s model)')
const maxTokens = z.int().min(1).max(1_000_000).optional().describe('Cap on generated tokens (default: the model\'s)')

export const llmTranslatorConfig = z.strictObject({
  provider: profile,
  model,
  target_language: z.string().min(2).describe('Language to translate into, as a name or code (`de`, `German`)'),
  max_tokens: maxTokens,
  system_prompt: z.string().min(1).optional().describe('Replaces the built-in translation instructions'),
})

export const llmTransformConfig = z.strictObject({
  provider: profile,
  model,
  prompt: z.string().min(1).describe('Prompt template; `{{field}}` is replaced by that payload field'),
  output_field: z.string().min(1).default('llm_output').describe('Payload field that receives the answer'),
  json_schema: z.record(z.string(), z.unknown()).optional().describe('When set, the answer must be JSON valid against this schema'),
  max_tokens: maxTokens,
  temperature: z.number().min(0).max(2).default(0).describe('Sampling temperature'),
})

export const embeddingGeneratorConfig = z.strictObject({
  provider: profile.describe('Embedding provider profile from the app settings (`local` works offline)'),
  model,
  slot: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/).optional().describe('Embedding slot name (default: the model name)'),
  batch_size: z.int().min(1).max(2048).default(64).describe('Segments per embedding request'),
  dimensions: z.int().min(1).max(16_000).optional().describe('Vector dimensions (default: the model\'s)'),
})

export const llmAdapters = [
  defineAdapter({
    type: 'llm_translator',
    family: 'llm',
    summary: 'Translates text or markdown to a target language, keeping the markdown structure',
    io: 'text | markdown → same field translated, source_language',
    configSchema: llmTranslatorConfig,
    profileFields: ['provider'],
    example: {provider: 'default', target_language: 'de'},
    load: () => import('./llm-translator.js'),
  }),
  defineAdapter({
    type: 'llm_transform',
    family: 'llm',
    summary: 'Runs a prompt template over the message and stores the answer (text or checked JSON) in a field',
    io: 'any → payload + output_field',
    configSchema: llmTransformConfig,
    profileFields: ['provider'],
    example: {prompt: 'Summarise in one sentence:\n\n{{markdown}}', output_field: 'summary'},
    load: () => import('./llm-transform.js'),
  }),
  defineAdapter({
    type: 'embedding_generator',
    family: 'llm',
    summary: 'Embeds segments in batches into a named embedding slot, replacing a document\'s vectors when it changes',
    io: 'segment → { ..., embedding_slot, embedding_id }',
    configSchema: embeddingGeneratorConfig,
    profileFields: ['provider'],
    example: {provider: 'local', batch_size: 64},
    load: () => import('./embedding-generator.js'),
  }),
]
