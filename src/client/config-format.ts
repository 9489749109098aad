import type {Config, ConfigList} from '../api/schemas.js'
import {formatTable} from '../cli/format-table.js'

export function configTable(list: ConfigList): string {
  return formatTable(['ID', 'NAME', 'VERSION', 'ACTIVE', 'VALID', 'UPDATED'], list.configs.map((c) => [
    c.id, c.name, String(c.version), c.is_active ? 'yes' : 'no',
    c.validation_report === null ? '?' : c.validation_report.is_valid ? 'yes' : `no (${c.validation_report.error_count})`, c.updated_at,
  ]))
}

export function configText(c: Config, withYaml = false): string {
  const lines = [
    `id:        ${c.id}`,
    `name:      ${c.name}${c.description ? ` — ${c.description}` : ''}`,
    `version:   ${c.version}${c.is_active ? '' : ' (inactive)'}`,
    `runnable:  ${c.is_runnable ? 'yes' : 'no'}`,
    `valid:     ${c.validation_report.is_valid ? 'yes' : `no: ${c.validation_report.error_count} error(s)`}`,
  ]
  for (const issue of c.validation_report.issues) {
    lines.push(`  ${issue.line ?? '-'}:${issue.column ?? '-'}: ${issue.code} ${issue.message}${issue.suggestion ? ` (${issue.suggestion})` : ''}`)
  }
  if (withYaml) lines.push('', c.config_yaml.trimEnd())
  return `${lines.join('\n')}\n`
}
