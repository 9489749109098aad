import {z} from 'zod'

import {ExternalError, UserInputError} from '../../errors/index.js'
import type {ChatCompletion, ChatUsage} from '../../llm/chat-client.js'
import {protectCodeBlocks, restoreCodeBlocks} from '../../llm/code-blocks.js'
import {llmMetadata} from '../../llm/create-chat-client.js'
import {translationPieces, trimAnswer} from '../../llm/translation-chunks.js'
import type {Adapter, AdapterResources} from '../types.js'
import type {llmTranslatorConfig} from './catalog.js'
import {createLlmResultCache} from './llm-result-cache.js'
import {withFieldValue} from './rewritten-text.js'

export type LlmTranslatorConfig = z.output<typeof llmTranslatorConfig>

/** Bump when the translation of the same text under the same config changes shape or meaning. */
const RESULT_VERSION = '1'

/** What is stored per translated text (see `createStageResultCache`). */
const storedTranslation = z.strictObject({
  text: z.string(),
  source_language: z.string(),
  note: z.string().optional(),
})
type StoredTranslation = z.output<typeof storedTranslation>

const SOURCE_LINE = /^[ \t]*SOURCE_LANGUAGE:[ \t]*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?|auto)[ \t]*\r?\n(?:[ \t]*\r?\n)?/i

/** The built-in instructions; `system_prompt` replaces them (the output protocol below stays). */
export function defaultTranslationInstructions(targetLanguage: string): string {
  return [
    `You are a professional translator. Translate the user's text into ${targetLanguage}.`,
    'The text is markdown: keep its structure exactly — headings, lists, tables, links (translate link text, never URLs),',
    'emphasis, inline code spans (never translate them) and line breaks. Do not add explanations or comments.',
  ].join('\n')
}

/** What every translation request asks for, so code stays out of the model's hands and the source language comes back. */
export function translationProtocol(): string {
  return [
    'Tokens like @@CODE_0@@ stand for code blocks: copy each one unchanged, on its own line, where it is.',
    'Start your answer with one line `SOURCE_LANGUAGE: <ISO 639-1 code of the original text>`, then a blank line, then the translation only.',
  ].join('\n')
}

/**
 * llm_translator (docs/reference/adapters.md, "LLM and embeddings"). Translates `payload.markdown` (else
 * `payload.text`) into `target_language` and emits the payload with that field translated plus
 * `source_language` (as the model reported it, else `auto`) and `target_language`. Long texts go
 * in chunks of whole paragraphs (`translationPieces`, ~8000 characters), blank lines between and
 * around them kept verbatim (chunks are sent concurrently, bounded by the profile's limiter).
 * Fenced code blocks never reach the model: they are swapped for tokens and put back byte for byte;
 * an answer that drops a token is a retryable LLM_OUTPUT_INVALID. Text without prose (only code or
 * blank) is passed through without a call. With the offline `local` profile the text comes back
 * unchanged and the metadata's `llm_note` says so. A translated text gets `content_hash` = sha256 of
 * the translation (the input's hash is kept as `source_content_hash`): embedding_generator keys its
 * vectors by that hash, and the original's would let a new translation keep the old vector.
 * Metadata: `llm_profile`, `llm_usage` (summed; absent when no call was made).
 *
 * Incremental re-runs: a translation is stored under (sha256 of the original text, hash of the
 * effective config: this config, the resolved profile's vendor, endpoint and model, the system
 * prompt). The same text again makes no call: the stored translation is emitted and the invocation
 * is marked skipped (`unchanged`). Only a complete, checked translation is stored.
 * Errors: `UserInputError` LLM_INPUT_MISSING when neither field is a string; the client's errors.
 */
export async function createAdapter(config: LlmTranslatorConfig, resources: AdapterResources): Promise<Adapter> {
  const system = `${config.system_prompt ?? defaultTranslationInstructions(config.target_language)}\n\n${translationProtocol()}`
  const cache = createLlmResultCache({adapterType: 'llm_translator', version: RESULT_VERSION, schema: storedTranslation, config, extra: {system}}, resources)

  return {
    async process(context) {
      const field = typeof context.payload.markdown === 'string' ? 'markdown' : typeof context.payload.text === 'string' ? 'text' : undefined
      if (field === undefined) {
        throw new UserInputError('LLM_INPUT_MISSING', 'llm_translator needs a `markdown` or `text` string in the payload.', {
          hint: 'Put a markdown producer (html_to_markdown, storage_retriever) before llm_translator.',
        })
      }
      const original = context.payload[field] as string
      const {text: prose, blocks} = protectCodeBlocks(original)
      const pieces = translationPieces(prose).map((piece) => ({...piece, translate: piece.translate && hasProse(piece.text)}))
      const output = {...context.payload, source_language: 'auto', target_language: config.target_language}
      if (!pieces.some((piece) => piece.translate)) return {payload: output}

      const {key, profile, stored} = await cache.lookup(original)
      if (stored !== undefined) {
        context.markSkipped('unchanged')
        return translated(output, field, stored, llmMetadata(profile, {text: '', usage: undefined, note: stored.note}))
      }

      const client = await resources.llm.client(config.provider, {logger: resources.logger})
      const translate = async (text: string) => {
        const answer = await client.complete({
          system, messages: [{role: 'user', content: text}], model: config.model, maxTokens: config.max_tokens, temperature: 0, signal: context.signal,
        })
        const source = SOURCE_LINE.exec(answer.text)
        return {...answer, text: trimAnswer(source === null ? answer.text : answer.text.slice(source[0].length)), source: source?.[1]?.toLowerCase()}
      }
      const answers = await Promise.all(pieces.map((piece) => (piece.translate ? translate(piece.text) : undefined)))
      const restored = restoreCodeBlocks(answers.map((answer, index) => answer?.text ?? pieces[index]!.text).join(''), blocks)
      if (restored.missing.length > 0) {
        throw new ExternalError('LLM_OUTPUT_INVALID', `The translation dropped ${restored.missing.length} of ${blocks.length} code block(s).`, {
          retryable: true,
          hint: 'The model did not copy the @@CODE_n@@ tokens; the message is retried. A stronger model helps.',
          details: {missing: restored.missing},
        })
      }
      const asked = answers.filter((answer) => answer !== undefined)
      const result: StoredTranslation = {
        text: restored.text,
        source_language: asked.find((answer) => answer.source !== undefined)?.source ?? 'auto',
        ...(asked[0]!.note === undefined ? {} : {note: asked[0]!.note}),
      }
      await cache.put(key, result, {executionId: context.executionId})
      return translated(output, field, result, llmMetadata(client.profile.name, {text: '', note: result.note, usage: totalUsage(asked)}))
    },
    close: () => cache.close(),
  }
}

function translated(output: Record<string, unknown>, field: string, translation: StoredTranslation, metadata: Record<string, unknown>) {
  return {payload: withFieldValue({...output, source_language: translation.source_language}, field, translation.text), metadata}
}

/** Whether a piece has anything to translate besides code tokens and whitespace. */
function hasProse(text: string): boolean {
  return /\S/.test(text.replace(/@@CODE_\d+@@/g, ''))
}

function totalUsage(answers: readonly ChatCompletion[]): ChatUsage | undefined {
  if (answers.some((answer) => answer.usage === undefined)) return undefined
  return {
    inputTokens: answers.reduce((total, answer) => total + answer.usage!.inputTokens, 0),
    outputTokens: answers.reduce((total, answer) => total + answer.usage!.outputTokens, 0),
  }
}
