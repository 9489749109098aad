import {z} from 'zod'

import {ExternalError} from '../../errors/index.js'
import type {ChatMessage} from '../../llm/chat-client.js'
import {llmMetadata} from '../../llm/create-chat-client.js'
import {createJsonAnswerChecker} from '../../llm/json-answer.js'
import {renderTemplate} from '../../llm/prompt-template.js'
import type {Adapter, AdapterResources} from '../types.js'
import type {llmTransformConfig} from './catalog.js'
import {createLlmResultCache} from './llm-result-cache.js'
import {withFieldValue} from './rewritten-text.js'

export type LlmTransformConfig = z.output<typeof llmTransformConfig>

/** Asking again once with the error is worth it; more rarely turns a wrong answer right. */
const REPAIR_ATTEMPTS = 1

/** Bump when the answer to the same prompt under the same config changes shape or meaning. */
const RESULT_VERSION = '1'

/** What is stored per rendered prompt: the answer as emitted (text, or the checked JSON value). */
const storedAnswer = z.strictObject({value: z.unknown(), note: z.string().optional()})

export function jsonInstructions(schema: Record<string, unknown>): string {
  return [
    'Answer with a single JSON value that is valid against the JSON Schema below, and nothing else:',
    'no explanations, no markdown, no code fences.',
    '',
    JSON.stringify(schema),
  ].join('\n')
}

/**
 * llm_transform (docs/reference/adapters.md, "LLM and embeddings"). Fills `prompt`'s `{{path}}` placeholders
 * from the payload (dotted paths; non-strings as JSON), asks the profile's model and emits the
 * payload plus `output_field` = the answer text (into `text` or `markdown`, the body: `content_hash`
 * follows the new text, the old one is kept as `source_content_hash`). With `json_schema`, the model is told to answer in
 * JSON; the answer is parsed (a ```json fence is tolerated) and validated, and on failure the model
 * gets the problem back once to repair it; a second bad answer is a terminal `ExternalError`
 * LLM_OUTPUT_INVALID (details: problem, answer). With the offline `local` profile the answer is the
 * filled-in prompt and the metadata's `llm_note` says so (a `json_schema` then fails as above).
 *
 * Incremental re-runs: an answer is stored under (sha256 of the rendered prompt, hash of the
 * effective config: this config, the resolved profile's vendor, endpoint and model). The same
 * prompt again makes no call, also with `temperature` > 0: the stored answer is emitted and the
 * invocation is marked skipped (`unchanged`). Only answers that passed `json_schema` are stored.
 * Errors: `UserInputError` LLM_PROMPT_FIELD_MISSING, LLM_JSON_SCHEMA_INVALID (at creation); the client's errors.
 */
export async function createAdapter(config: LlmTransformConfig, resources: AdapterResources): Promise<Adapter> {
  const checker = config.json_schema === undefined ? undefined : createJsonAnswerChecker(config.json_schema)
  const system = config.json_schema === undefined ? undefined : jsonInstructions(config.json_schema)
  const cache = createLlmResultCache({adapterType: 'llm_transform', version: RESULT_VERSION, schema: storedAnswer, config, extra: {system}}, resources)
  return {
    async process(context) {
      const prompt = renderTemplate(config.prompt, context.payload)
      const {key, profile, stored} = await cache.lookup(prompt)
      if (stored !== undefined) {
        context.markSkipped('unchanged')
        return {
          payload: withFieldValue(context.payload, config.output_field, stored.value),
          metadata: llmMetadata(profile, {text: '', usage: undefined, note: stored.note}),
        }
      }
      const client = await resources.llm.client(config.provider, {logger: resources.logger})
      const messages: ChatMessage[] = [{role: 'user', content: prompt}]
      const ask = () => client.complete({
        system, messages, model: config.model, maxTokens: config.max_tokens, temperature: config.temperature, signal: context.signal,
      })
      let answer = await ask()
      let value: unknown = answer.text
      if (checker !== undefined) {
        for (let repair = 0; ; repair++) {
          const checked = checker.check(answer.text)
          if (checked.ok) {
            value = checked.value
            break
          }
          if (repair >= REPAIR_ATTEMPTS) {
            throw new ExternalError('LLM_OUTPUT_INVALID', `The model's answer for ${config.output_field} is not valid against json_schema: ${checked.problem}`, {
              retryable: false,
              hint: 'Simplify the schema, say more about the expected JSON in the prompt, or use a stronger model.',
              details: {problem: checked.problem, answer: answer.text.slice(0, 2000), attempts: repair + 1},
            })
          }
          context.logger.debug({problem: checked.problem}, 'llm_transform: asking the model to repair its JSON')
          messages.push({role: 'assistant', content: answer.text}, {
            role: 'user',
            content: `That answer is not acceptable: ${checked.problem}. Answer again with only the corrected JSON value.`,
          })
          answer = await ask()
        }
      }
      await cache.put(key, {value, ...(answer.note === undefined ? {} : {note: answer.note})}, {executionId: context.executionId})
      return {payload: withFieldValue(context.payload, config.output_field, value), metadata: llmMetadata(client.profile.name, answer)}
    },
    close: () => cache.close(),
  }
}
