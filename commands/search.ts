import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'

export default class Search extends BaseCommand {
  static override summary = 'Search the embedded segments: semantic (vector), keyword (full text) or hybrid (RRF)'
  static override description = `With --local, searches the database that \`factflow run\` wrote (./output/db by default, or --database). Hybrid search fuses the vector and keyword rankings by reciprocal-rank fusion (k = 60). Without pgvector (plain PostgreSQL) vector search falls back to keyword search with a warning. Searching a server (without --local) comes with \`factflow serve\`.`
  static override examples = [
    '<%= config.bin %> search hybrid "retry policy" --local',
    '<%= config.bin %> search keyword "dead letter" --local --limit 3 --json',
  ]
  static override args = {
    mode: Args.string({description: 'How to search', required: true, options: ['semantic', 'keyword', 'hybrid']}),
    query: Args.string({description: 'What to search for', required: true}),
  }
  static override flags = {
    local: Flags.boolean({description: 'Search the local embedded database written by `factflow run`'}),
    database: Flags.string({description: 'Database URL or embedded PGlite directory', default: './output/db', env: 'FACTFLOW_DATABASE_URL'}),
    limit: Flags.integer({description: 'Results to return', default: 5, min: 1, max: 200}),
    slot: Flags.string({description: 'Embedding slot (default: the only one)'}),
    source: Flags.string({description: 'Only documents whose id or source starts with this'}),
    json: Flags.boolean({description: 'Print one JSON document'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Search)
    const {UserInputError} = await import('../src/errors/index.js')
    if (!flags.local) {
      throw new UserInputError('SERVER_NOT_AVAILABLE_YET', 'Searching a server is not available yet.', {hint: 'Add --local to search the database `factflow run` wrote.'})
    }
    const {searchLocal} = await import('../src/search/local-search.js')
    const result = await searchLocal({
      kind: args.mode as 'semantic' | 'keyword' | 'hybrid', query: args.query, databaseUrl: flags.database,
      limit: flags.limit, slot: flags.slot, source: flags.source,
    })
    if (flags.json) {
      this.log(JSON.stringify(result, null, 2))
      return
    }
    if (result.warning) process.stderr.write(`warning: ${result.warning}\n`)
    if (result.hits.length === 0) this.log('No results.')
    for (const [i, hit] of result.hits.entries()) {
      const heading = Array.isArray(hit.heading_path) && hit.heading_path.length > 0 ? ` — ${hit.heading_path.join(' › ')}` : ''
      this.log(`[${i + 1}] ${hit.document_id}#${hit.segment_index}${heading}  (${result.mode} ${hit.score.toFixed(4)})`)
      this.log(`    ${hit.text.replaceAll(/\s+/g, ' ').slice(0, 200)}`)
    }
  }
}
