import {stringify} from 'yaml'

import type {AdapterDefinition} from '../adapters/types.js'
import {formatTable} from '../cli/format-table.js'
import type {AdapterConfigField} from './json-schema.js'

/** The text of `factflow adapters show TYPE`. */
export function formatAdapterDetails(definition: AdapterDefinition, fields: readonly AdapterConfigField[]): string {
  const parts: string[] = [
    `${definition.type} (${definition.family})`,
    `  ${definition.summary}`,
  ]
  if (definition.io) parts.push(`  reads → emits: ${definition.io}`)
  parts.push(definition.load
    ? '  implemented: yes'
    : '  implemented: no (not implemented yet: `factflow run` refuses it; `config validate` checks it)')
  parts.push('', 'Config fields:')
  if (fields.length === 0) {
    parts.push('  (none)')
  } else {
    const table = formatTable(['NAME', 'TYPE', 'DEFAULT', 'REQUIRED', 'DESCRIPTION'], fields.map((field) => [
      field.name,
      field.type,
      'default' in field ? JSON.stringify(field.default) : '-',
      field.required ? 'yes' : 'no',
      field.description,
    ]))
    parts.push(...table.trimEnd().split('\n').map((row) => `  ${row}`))
  }
  const example = stringify([{type: definition.type, ...(definition.example && Object.keys(definition.example).length > 0 ? {config: definition.example} : {})}], {lineWidth: 0})
  parts.push('', 'Example step:', ...example.trimEnd().split('\n').map((row) => `  ${row}`))
  return `${parts.join('\n')}\n`
}
