import {z} from 'zod'

import {defineAdapter} from '../types.js'

export const storageRetrieverConfig = z.strictObject({})

export const htmlToMarkdownConfig = z.strictObject({
  preserve_images: z.boolean().default(false).describe('Keep images as markdown image links'),
  preserve_links: z.boolean().default(true).describe('Keep hyperlinks (otherwise only their text)'),
  main_content: z.boolean().default(true).describe('Extract the main content first (drops navigation, footers, scripts)'),
})

export const TOKEN_ENCODINGS = ['cl100k_base', 'o200k_base', 'p50k_base', 'r50k_base'] as const

export const smartSegmenterConfig = z.strictObject({
  max_tokens: z.int().min(16).max(32_768).default(512).describe('Token budget of one segment'),
  min_tokens: z.int().min(0).max(32_768).default(64).describe('Merge segments smaller than this with a neighbour'),
  overlap_tokens: z.int().min(0).max(32_768).default(0).describe('Tokens repeated from the end of the previous segment'),
  encoding: z.enum(TOKEN_ENCODINGS).default('cl100k_base').describe('BPE encoding used to count tokens'),
}).superRefine((config, ctx) => {
  if (config.min_tokens > config.max_tokens) {
    ctx.addIssue({code: 'custom', path: ['min_tokens'], message: `\`min_tokens\` (${config.min_tokens}) must not exceed \`max_tokens\` (${config.max_tokens})`})
  }
  if (config.overlap_tokens >= config.max_tokens) {
    ctx.addIssue({code: 'custom', path: ['overlap_tokens'], message: `\`overlap_tokens\` (${config.overlap_tokens}) must be lower than \`max_tokens\` (${config.max_tokens})`})
  }
})

export const segmentPublisherConfig = z.strictObject({})

export const markdownStorageWriterConfig = z.strictObject({})

export const markdownAdapters = [
  defineAdapter({
    type: 'storage_retriever',
    family: 'markdown',
    summary: 'Loads an artefact by storage_key (after replay and between routes)',
    io: 'storage_key → body + metadata',
    configSchema: storageRetrieverConfig,
    example: {},
    load: () => import('./storage-retriever.js'),
  }),
  defineAdapter({
    type: 'html_to_markdown',
    family: 'markdown',
    summary: 'Extracts the main content of HTML and converts it to GitHub-flavoured markdown',
    io: 'html → { markdown, title, front_matter, content_hash }',
    configSchema: htmlToMarkdownConfig,
    example: {preserve_images: false, preserve_links: true, main_content: true},
    load: () => import('./html-to-markdown.js'),
  }),
  defineAdapter({
    type: 'smart_segmenter',
    family: 'markdown',
    summary: 'Splits markdown on its headings into token-budgeted segments, never inside code blocks or tables',
    io: 'markdown → { segments: [{ index, text, token_count, heading_path }] }',
    configSchema: smartSegmenterConfig,
    example: {max_tokens: 512, min_tokens: 64, overlap_tokens: 32},
    load: () => import('./smart-segmenter.js'),
  }),
  defineAdapter({
    type: 'segment_publisher',
    family: 'markdown',
    summary: 'Fan-out: one message per segment, carrying the document provenance',
    io: 'segments → { document_id, segment_index, text, heading_path, token_count } × N',
    configSchema: segmentPublisherConfig,
    example: {},
    load: () => import('./segment-publisher.js'),
  }),
  defineAdapter({
    type: 'markdown_storage_writer',
    family: 'markdown',
    summary: 'Writes the markdown and each segment to storage',
    io: '→ storage_keys added to metadata',
    configSchema: markdownStorageWriterConfig,
    example: {},
    load: () => import('./markdown-storage-writer.js'),
  }),
]
