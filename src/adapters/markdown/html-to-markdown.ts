import {z} from 'zod'

import {factflowVersion} from '../../config/factflow-version.js'
import {UserInputError} from '../../errors/index.js'
import {createStageResultCache} from '../../stage-results/stage-result-cache.js'
import {stageConfigHash, stageInputHash} from '../../stage-results/stage-key.js'
import type {Adapter, AdapterContext, AdapterOutput, AdapterResources} from '../types.js'
import {decodeBody} from '../web/charset.js'
import type {htmlToMarkdownConfig} from './catalog.js'
import {convertHtmlTask} from './html/convert-task.js'
import {artefactMetadata, getArtefact, INLINE_LIMIT_BYTES, sha256, stringField, withStorageKeys} from './markdown-payload.js'

export type HtmlToMarkdownConfig = z.output<typeof htmlToMarkdownConfig>

/** Bump when the markdown of the same page under the same config changes (with factflow's version, see below). */
const RESULT_VERSION = '2'

/** What a conversion yields besides the provenance taken from the message. */
const storedConversion = z.strictObject({
  markdown: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  lang: z.string().optional(),
})
type Conversion = z.output<typeof storedConversion>

/** Input fields carried to the output: where the page came from and the key of its stored HTML. */
const CARRIED = ['url', 'final_url', 'path', 'document_id', 'source_url', 'storage_key'] as const

const HTML_TAG = /<\s*(?:!doctype\s+html|html|head|body|title|main|article|section|div|span|p|a|h[1-6]|table|ul|ol|li|pre|code|br|img)[\s/>]/i
const HTML_TYPES = /html|xml/i
/** Types a server may send HTML under; anything else named is refused before sniffing. */
const AMBIGUOUS_TYPES = /^(?:text\/plain|application\/octet-stream)\b/i

function notHtml(reason: string, details: Record<string, unknown>): UserInputError {
  return new UserInputError('INPUT_NOT_HTML', `html_to_markdown needs HTML, but ${reason}.`, {
    hint: 'Route only HTML here, e.g. `condition: { field: content_type, operator: contains, value: html }` on html_to_markdown; markdown and text files can go straight to smart_segmenter.',
    details,
  })
}

async function readHtml(context: AdapterContext): Promise<{html: string; contentType?: string}> {
  const {payload} = context
  const contentType = stringField(payload, 'content_type')
  if (typeof payload.html === 'string') return {html: payload.html, contentType}
  // storage_retriever loads the stored page into `content`.
  if (typeof payload.content === 'string') return {html: payload.content, contentType}
  const key = stringField(payload, 'storage_key')
  if (key) {
    const {body, metadata} = await getArtefact(context, key, 'storage_key')
    // As a browser would: BOM, the stored content type's charset, <meta charset>, then UTF-8.
    return {html: decodeBody(body, metadata.content_type).text, contentType: metadata.content_type}
  }
  throw new UserInputError('PAYLOAD_FIELD_MISSING', 'html_to_markdown needs `html`, a retrieved `content` or a `storage_key` in the payload.', {
    hint: 'Put web_scraper/web_crawler, file_reader or storage_retriever earlier in the chain.',
  })
}

function checkHtml(html: string, contentType: string | undefined): void {
  if (html.trim() === '') {
    throw new UserInputError('INPUT_EMPTY', 'html_to_markdown got an empty document.', {
      hint: 'The page or file has no body: check its URL or path, and the status code of the fetch.',
    })
  }
  if (contentType && !HTML_TYPES.test(contentType) && !AMBIGUOUS_TYPES.test(contentType)) {
    throw notHtml(`the input is ${contentType}`, {content_type: contentType})
  }
  if (html.includes('\u0000')) throw notHtml('the input is binary', {content_type: contentType})
  if (!HTML_TAG.test(html)) throw notHtml('the input has no HTML tags', {content_type: contentType, starts_with: html.slice(0, 80)})
}

function httpUrl(...candidates: Array<string | undefined>): string | undefined {
  return candidates.find((candidate) => candidate !== undefined && /^https?:\/\//i.test(candidate))
}

/**
 * html_to_markdown (docs/reference/adapters.md, Markdown). Reads HTML from `html`, a retrieved `content`, or
 * the artefact at `storage_key` (decoded as a browser would, see `decodeBody`); extracts the main content when
 * `main_content` (see `extractContent`), converts it to GitHub-flavoured markdown (see
 * `createMarkdownConverter`) and emits the input's provenance (`url`, `final_url`, `path`,
 * `document_id`, `source_url`, the source `storage_key`) plus `markdown`, `title`, `front_matter`
 * `{title, url, description, lang}`, `content_type` `text/markdown` and `content_hash` (sha256 of the
 * markdown; the input's hash is kept as `source_content_hash`). Markdown over 64 KiB is written to
 * `storageKey('.md')` and emitted as `markdown_storage_key` instead of inline `markdown`; the key is
 * added to the metadata's `storage_keys`.
 *
 * Incremental re-runs: a conversion is stored under (sha256 of the HTML and the base URL links are
 * resolved against, hash of the config and factflow's version: a new release may convert
 * differently). The same page again is not parsed: the stored conversion is emitted exactly as a
 * fresh one would be, and the invocation is marked skipped (`unchanged`). Failures are not stored.
 *
 * Errors (terminal UserInputError): `PAYLOAD_FIELD_MISSING` (no input field), `INPUT_EMPTY`,
 * `INPUT_NOT_HTML` (another content type, binary, or no tags), `HTML_NO_CONTENT` (no text left after
 * extraction); `ARTEFACT_MISSING` when `storage_key` is not in storage.
 */
export function createAdapter(config: HtmlToMarkdownConfig, resources: AdapterResources): Adapter {
  const configHash = stageConfigHash('html_to_markdown', `${RESULT_VERSION}/${factflowVersion() ?? 'unknown'}`, config)
  const cache = createStageResultCache({
    adapterType: 'html_to_markdown', schema: storedConversion,
    database: () => resources.database(), storage: resources.storage, logger: resources.logger,
    emptyAtStart: resources.newDatabase,
  })

  // Extraction and conversion are pure CPU work: they run in the runtime's CPU pool (another
  // thread when it has one), the rest of the stage (storage, the result cache) here.
  async function conversionOf(html: string, url: string | undefined, context: AdapterContext): Promise<Conversion> {
    const {method, ...conversion} = await resources.cpu.run(convertHtmlTask, {
      html, mainContent: config.main_content, baseUrl: httpUrl(url),
      preserveLinks: config.preserve_links, preserveImages: config.preserve_images,
    }, {signal: context.signal})
    if (conversion.markdown === '') {
      throw new UserInputError('HTML_NO_CONTENT', `html_to_markdown found no text in ${url ?? stringField(context.payload, 'path') ?? 'the document'}.`, {
        hint: 'The page may render its content with JavaScript (use web_crawler), or its text sits in what main-content extraction drops (try main_content: false).',
        details: {url, extraction: method},
      })
    }
    return conversion
  }

  return {
    async process(context) {
      const {payload} = context
      const {html, contentType} = await readHtml(context)
      checkHtml(html, contentType)
      context.signal.throwIfAborted()
      const url = stringField(payload, 'final_url') ?? stringField(payload, 'url') ?? stringField(payload, 'source_url')
      const resultKey = {configHash, inputHash: stageInputHash(httpUrl(url) ?? '', html)}
      let conversion = await cache.get(resultKey)
      if (conversion !== undefined) {
        context.markSkipped('unchanged')
      } else {
        conversion = await conversionOf(html, url, context)
        await cache.putBehind(resultKey, conversion, {executionId: context.executionId})
      }
      return outputOf(context, conversion, url)
    },
    close: () => cache.close(),
  }
}

/** The message html_to_markdown emits for a conversion (stored or fresh alike). */
async function outputOf(context: AdapterContext, conversion: Conversion, url: string | undefined): Promise<AdapterOutput> {
  const {payload} = context
  const {markdown, title} = conversion
  const documentId = stringField(payload, 'document_id') ?? stringField(context.metadata, 'document_id')
  const output: Record<string, unknown> = {}
  for (const field of CARRIED) if (payload[field] !== undefined) output[field] = payload[field]
  if (documentId) output.document_id = documentId
  if (title) output.title = title
  output.front_matter = {
    ...(title ? {title} : {}), ...(url ? {url} : {}),
    ...(conversion.description ? {description: conversion.description} : {}), ...(conversion.lang ? {lang: conversion.lang} : {}),
  }
  output.content_type = 'text/markdown'
  output.content_hash = sha256(markdown)
  if (typeof payload.content_hash === 'string') output.source_content_hash = payload.content_hash

  const metadata: Record<string, unknown> = title ? {title} : {}
  if (Buffer.byteLength(markdown) <= INLINE_LIMIT_BYTES) {
    output.markdown = markdown
  } else {
    const key = context.storageKey('.md')
    await context.storage.put(key, markdown, artefactMetadata(context, {
      content_type: 'text/markdown; charset=utf-8', title,
      source_url: url ?? stringField(payload, 'source_url'), document_id: documentId,
    }))
    output.markdown_storage_key = key
    metadata.storage_keys = withStorageKeys(context.metadata, [key])
  }
  return {payload: output, metadata}
}
