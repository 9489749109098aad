import {UserInputError} from '../errors/index.js'

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)\s*\}\}/g

/** The dotted paths a template refers to (`{{title}}`, `{{source.url}}`), in order, without repeats. */
export function templateFields(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]!))]
}

/**
 * `template` with each `{{path}}` replaced by that value of `values` (dotted paths walk objects;
 * array indexes are path segments too). Strings go in as they are, other values as JSON.
 * Throws `UserInputError` LLM_PROMPT_FIELD_MISSING naming the first path with no value.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, unknown>>): string {
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    const value = valueAt(values, path)
    if (value === undefined || value === null) {
      throw new UserInputError('LLM_PROMPT_FIELD_MISSING', `The prompt refers to {{${path}}}, which this message's payload does not have.`, {
        hint: `Payload fields present: ${Object.keys(values).join(', ') || 'none'}. Fix the placeholder or the stage before.`,
      })
    }
    return typeof value === 'string' ? value : JSON.stringify(value)
  })
}

function valueAt(values: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = values
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}
