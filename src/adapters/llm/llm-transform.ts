import type {z} from 'zod'

import {ExternalError} from '../../errors/index.js'
import type {ChatMessage} from '../../llm/chat-client.js'
import {chatClientFor, llmMetadata} from '../../llm/create-chat-client.js'
import {createJsonAnswerChecker} from '../../llm/json-answer.js'
import {renderTemplate} from '../../llm/prompt-template.js'
import type {Adapter, AdapterResources} from '../types.js'
import type {llmTransformConfig} from './catalog.js'

export type LlmTransformConfig = z.output<typeof llmTransformConfig>

/** Asking again once with the error is worth it; more rarely turns a wrong answer right. */
const REPAIR_ATTEMPTS = 1

export function jsonInstructions(schema: Record<string, unknown>): string {
  return [
    'Answer with a single JSON value that is valid against the JSON Schema below, and nothing else:',
    'no explanations, no markdown, no code fences.',
    '',
    JSON.stringify(schema),
  ].join('\n')
}

/**
 * llm_transform (spec/adapters.md, "LLM and embeddings"). Fills `prompt`'s `{{path}}` placeholders
 * from the payload (dotted paths; non-strings as JSON), asks the profile's model and emits the
 * payload plus `output_field` = the answer text. With `json_schema`, the model is told to answer in
 * JSON; the answer is parsed (a ```json fence is tolerated) and validated, and on failure the model
 * gets the problem back once to repair it; a second bad answer is a terminal `ExternalError`
 * LLM_OUTPUT_INVALID (details: problem, answer). With the offline `local` profile the answer is the
 * filled-in prompt and the metadata's `llm_note` says so (a `json_schema` then fails as above).
 * Errors: `UserInputError` LLM_PROMPT_FIELD_MISSING, LLM_JSON_SCHEMA_INVALID (at creation); the client's errors.
 */
export async function createAdapter(config: LlmTransformConfig, resources: AdapterResources): Promise<Adapter> {
  const checker = config.json_schema === undefined ? undefined : createJsonAnswerChecker(config.json_schema)
  const system = config.json_schema === undefined ? undefined : jsonInstructions(config.json_schema)
  return {
    async process(context) {
      const prompt = renderTemplate(config.prompt, context.payload)
      const client = await chatClientFor(resources.executionState, config.provider, {logger: resources.logger})
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
      return {payload: {...context.payload, [config.output_field]: value}, metadata: llmMetadata(client.profile.name, answer)}
    },
  }
}
