import {z} from 'zod'

import type {AdapterRegistry} from '../adapters/registry.js'
import type {AdapterDefinition} from '../adapters/types.js'
import {adapterStepSchema, pipelineSchema, ROUTE_ID_PATTERN, routeSchema} from './pipeline-schema.js'

export type JsonSchema = Record<string, unknown>

/**
 * The JSON Schema (draft 2020-12) of the pipeline file, from the same zod schemas the validator
 * uses: each adapter step is a `oneOf` on `type` carrying that adapter's config schema. Input
 * shapes (`io: 'input'`): fields with defaults are optional, as in the file.
 */
export function buildPipelineJsonSchema(registry: AdapterRegistry): JsonSchema {
  const steps = registry.list().map((definition) => adapterStepSchema.extend({
    type: z.literal(definition.type).describe(definition.summary),
    config: (definition.configSchema as z.ZodType).optional(),
  }))
  const step = steps.length > 0
    ? z.discriminatedUnion('type', steps as unknown as [typeof steps[number], ...typeof steps])
    : adapterStepSchema
  const route = routeSchema.extend({adapters: z.array(step).min(1).describe('Run in order on every message of the route')})
  const pipeline = pipelineSchema.extend({
    routes: z.record(z.string().regex(ROUTE_ID_PATTERN), route).describe('Route id → route; ids are lower case, digits and underscores'),
  })
  const schema = z.toJSONSchema(pipeline, {target: 'draft-2020-12', io: 'input', unrepresentable: 'any'})
  return {
    $schema: schema.$schema,
    title: 'factflow pipeline',
    description: 'A factflow pipeline file, version "1.0" (`factflow config schema`)',
    ...schema,
  }
}

/** One config field of an adapter, as `adapters show` lists it. */
export interface AdapterConfigField {
  name: string
  type: string
  default?: unknown
  required: boolean
  description: string
}

/** The JSON Schema of one adapter's config (input shape) and its fields. */
export function describeAdapterConfig(definition: AdapterDefinition): {schema: JsonSchema; fields: AdapterConfigField[]} {
  const schema = z.toJSONSchema(definition.configSchema, {target: 'draft-2020-12', io: 'input', unrepresentable: 'any'}) as JsonSchema
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((schema.required ?? []) as string[])
  const fields = Object.entries(properties).map(([name, property]) => ({
    name,
    type: typeName(property),
    ...('default' in property ? {default: property.default} : {}),
    required: required.has(name),
    description: typeof property.description === 'string' ? property.description : '',
  }))
  return {schema, fields}
}

function typeName(property: JsonSchema): string {
  if (Array.isArray(property.enum)) return property.enum.map((value) => JSON.stringify(value)).join(' | ')
  if (Array.isArray(property.anyOf)) return (property.anyOf as JsonSchema[]).map(typeName).join(' | ')
  const type = property.type
  if (type === 'array') return `${typeName((property.items ?? {}) as JsonSchema)}[]`
  if (type === 'object') {
    const values = property.additionalProperties
    return values && typeof values === 'object' && Object.keys(values).length > 0 ? `map of ${typeName(values as JsonSchema)}` : 'mapping'
  }
  if (type === 'integer' || type === 'number') {
    const min = property.minimum ?? property.exclusiveMinimum
    const max = property.maximum
    const bounded = typeof min === 'number' && Math.abs(min) < Number.MAX_SAFE_INTEGER
      && typeof max === 'number' && Math.abs(max) < Number.MAX_SAFE_INTEGER
    return bounded ? `${type} ${property.exclusiveMinimum === undefined ? min : `>${min}`}..${max}` : String(type)
  }
  return typeof type === 'string' ? type : 'any'
}
