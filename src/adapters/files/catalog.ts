import {z} from 'zod'

import {defineAdapter} from '../types.js'

export const directoryListerConfig = z.strictObject({
  path: z.string().min(1).describe('Local directory to list (relative paths resolve from the working directory)'),
  include: z.union([z.string(), z.array(z.string())]).default('**/*.{md,html,txt}')
    .describe('Glob pattern(s) of files to emit'),
  exclude: z.union([z.string(), z.array(z.string())]).optional().describe('Glob pattern(s) to leave out'),
  max_files: z.int().min(1).max(10_000_000).optional().describe('Stop after this many files'),
})

export const fileReaderConfig = z.strictObject({
  max_bytes: z.int().min(1).default(50 * 1024 * 1024).describe('Refuse files larger than this (terminal error)'),
})

export const filesAdapters = [
  defineAdapter({
    type: 'directory_lister',
    family: 'files',
    summary: 'Lists files under a local directory (glob include/exclude), one message per file',
    io: 'init → { path, size, mtime } × N',
    configSchema: directoryListerConfig,
    example: {path: './docs', include: '**/*.md'},
    load: () => import('./directory-lister.js'),
  }),
  defineAdapter({
    type: 'file_reader',
    family: 'files',
    summary: 'Reads one file into storage and detects its content type',
    io: 'path → { path, storage_key, content_type, content_hash }',
    configSchema: fileReaderConfig,
    example: {max_bytes: 10485760},
    load: () => import('./file-reader.js'),
  }),
]
