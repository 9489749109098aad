import type {AdapterDefinition, AdapterFamily} from '../adapters/types.js'
import {describeAdapterConfig} from '../config/json-schema.js'
import {ISSUE_CODES} from '../config/codes.js'

/**
 * The generated parts of the user reference in `docs/reference/`: each is rendered from what the
 * code itself uses (the adapter registry, the validation code catalogue, oclif's manifest, the
 * server's OpenAPI document, the example settings file), so the reference cannot drift from the
 * binary. A test re-renders every block and fails when a file is stale
 * (`UPDATE_REFERENCE_DOCS=1 npx vitest run test/docs/reference-docs.test.ts` rewrites them).
 */

const FAMILY_TITLES: Record<AdapterFamily, string> = {
  web: 'Web', files: 'Files', markdown: 'Markdown', llm: 'LLM and embeddings', testing: 'Testing (for trying pipelines and failure paths)',
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ').trim()
const code = (text: string) => `\`${text.replace(/`/g, '\u02cb')}\``

/** The adapter catalog: one table per family with each config field, its type and default. */
export function renderAdapterCatalog(definitions: readonly AdapterDefinition[]): string {
  const families = [...new Set(definitions.map((definition) => definition.family))]
  const sections: string[] = []
  for (const family of families) {
    const rows = definitions.filter((definition) => definition.family === family).map((definition) => {
      const {fields} = describeAdapterConfig(definition)
      const config = fields.length === 0 ? '—' : fields.map((field) => {
        const qualifier = field.required ? 'required' : 'default' in field ? `default ${code(JSON.stringify(field.default))}` : 'optional'
        return `${code(field.name)} (${cell(field.type)}; ${qualifier})${field.description ? `: ${cell(field.description)}` : ''}`
      }).join('<br>')
      return `| ${code(definition.type)} | ${cell(definition.summary)} | ${config} | ${cell(definition.io ?? '')} |`
    })
    sections.push(`### ${FAMILY_TITLES[family]}\n\n| type | does | config | reads → emits |\n| --- | --- | --- | --- |\n${rows.join('\n')}`)
  }
  return sections.join('\n\n')
}

/** The validation codes, from the catalogue the validator uses. */
export function renderValidationCodes(): string {
  const rows = Object.entries(ISSUE_CODES).map(([issue, meaning]) => `| ${issue} | ${cell(meaning)} |`)
  return `| code | meaning |\n| --- | --- |\n${rows.join('\n')}`
}

interface ManifestFlag {
  name: string
  char?: string
  description?: string
  type: 'boolean' | 'option'
  default?: unknown
  options?: string[]
  multiple?: boolean
  hidden?: boolean
  allowNo?: boolean
}

interface ManifestCommand {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  args?: Record<string, {name: string; description?: string; required?: boolean}>
  flags?: Record<string, ManifestFlag>
}

/** Every command with its arguments and flags, from oclif's manifest (what `--help` prints). */
export function renderCommands(manifest: {commands: Record<string, ManifestCommand>}): string {
  const commands = Object.values(manifest.commands).filter((command) => !command.hidden)
    .sort((a, b) => a.id.localeCompare(b.id))
  return commands.map((command) => {
    const name = `factflow ${command.id.replace(/:/g, ' ')}`
    const args = Object.values(command.args ?? {})
    const usage = [name, ...args.map((arg) => arg.required ? arg.name.toUpperCase() : `[${arg.name.toUpperCase()}]`)].join(' ')
    const description = (command.description ?? command.summary ?? '').trim()
    const lines = [`### \`${usage}\``, '', description]
    if (args.length > 0) {
      lines.push('', '| argument | |', '| --- | --- |', ...args.map((arg) => `| ${code(arg.name.toUpperCase())} | ${cell(arg.description ?? '')}${arg.required ? ' (required)' : ''} |`))
    }
    const flags = Object.values(command.flags ?? {}).filter((flag) => !flag.hidden && flag.name !== 'help')
      .sort((a, b) => a.name.localeCompare(b.name))
    if (flags.length > 0) {
      lines.push('', '| flag | |', '| --- | --- |', ...flags.map((flag) => `| ${flagLabel(flag)} | ${flagText(flag)} |`))
    }
    return lines.join('\n')
  }).join('\n\n')
}

function flagLabel(flag: ManifestFlag): string {
  const long = flag.type === 'boolean' && flag.allowNo ? `--[no-]${flag.name}` : `--${flag.name}`
  const value = flag.type === 'option' ? (flag.options ? ` ${flag.options.join('\\|')}` : ' VALUE') : ''
  return `${code(`${long}${value}`)}${flag.char ? ` (${code(`-${flag.char}`)})` : ''}`
}

function flagText(flag: ManifestFlag): string {
  const parts = [cell(flag.description ?? '')]
  const shown = Array.isArray(flag.default) ? (flag.default.length > 0 ? flag.default.join(', ') : undefined) : flag.default
  if (shown !== undefined && shown !== false) parts.push(`default ${code(String(shown))}`)
  if (flag.multiple) parts.push('repeatable')
  return parts.filter(Boolean).join('; ')
}

interface OpenApiDocument {
  paths: Record<string, Record<string, {summary?: string; description?: string; tags?: string[]}>>
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

/** The HTTP operations, grouped by tag, from the server's OpenAPI document. */
export function renderOperations(document: OpenApiDocument): string {
  const groups = new Map<string, string[]>()
  for (const [route, item] of Object.entries(document.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const method of METHODS) {
      const operation = item[method]
      if (operation === undefined) continue
      const tag = operation.tags?.[0] ?? 'other'
      const rows = groups.get(tag) ?? []
      rows.push(`| ${method.toUpperCase()} | ${code(route)} | ${cell(operation.summary ?? operation.description ?? '')} |`)
      groups.set(tag, rows)
    }
  }
  return [...groups].sort(([a], [b]) => a.localeCompare(b))
    .map(([tag, rows]) => `### ${tag}\n\n| method | path | does |\n| --- | --- | --- |\n${rows.join('\n')}`).join('\n\n')
}

/** The example settings file, whole (it lists every key with its default and environment variable). */
export function renderSettingsExample(yaml: string): string {
  return `\`\`\`yaml\n${yaml.trimEnd()}\n\`\`\``
}

const BLOCK = /(<!-- generated:([a-z-]+)[^>]*-->\n)[\s\S]*?(<!-- \/generated:\2 -->)/g

/**
 * Replaces the body of every `<!-- generated:NAME -->` … `<!-- /generated:NAME -->` block of `text`
 * with `blocks[NAME]`. Throws for a block without a renderer, so a typo cannot leave one stale.
 */
export function fillGeneratedBlocks(text: string, blocks: Record<string, string>): string {
  return text.replace(BLOCK, (_whole, open: string, name: string, close: string) => {
    const body = blocks[name]
    if (body === undefined) throw new Error(`no renderer for the generated block "${name}"`)
    return `${open}${body}\n${close}`
  })
}
