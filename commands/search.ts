import {ClientCommand} from '../src/cli/client-command.js'
import {Args, Flags} from '../src/cli/oclif.js'

export default class Search extends ClientCommand {
  static override summary = 'Search the embedded segments: semantic (vector), keyword (full text) or hybrid (RRF)'
  static override description = `Searches a server (--server, FACTFLOW_SERVER_URL, default http://localhost:8000), or with --local the database that \`factflow run\` wrote (./output/db by default, or --database). Hybrid search fuses the vector and keyword rankings by reciprocal-rank fusion (k = 60). Without pgvector (plain PostgreSQL) vector search falls back to keyword search with a warning.

Exit codes: 0 answered (even with no hits), 2 bad input (blank query, unknown slot, no embeddings), 4 no server reachable.`
  static override examples = [
    '<%= config.bin %> search hybrid "retry policy"',
    '<%= config.bin %> search semantic "how do I redrive?" --slot default --limit 3 --json',
    '<%= config.bin %> search hybrid "retry policy" --local',
    '<%= config.bin %> search keyword "dead letter" --local --limit 3 --json',
  ]
  static override args = {
    mode: Args.string({description: 'How to search', required: true, options: ['semantic', 'keyword', 'hybrid']}),
    query: Args.string({description: 'What to search for', required: true}),
  }
  static override flags = {
    local: Flags.boolean({description: 'Search the local embedded database written by `factflow run` (no server)'}),
    database: Flags.string({description: 'Database URL or embedded PGlite directory (with --local)', default: './output/db', env: 'FACTFLOW_DATABASE_URL'}),
    limit: Flags.integer({description: 'Results to return', default: 5, min: 1, max: 200}),
    slot: Flags.string({description: 'Embedding slot (default: the only one)'}),
    source: Flags.string({description: 'Only documents whose id or source starts with this'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Search)
    const kind = args.mode as 'semantic' | 'keyword' | 'hybrid'
    let result: {mode: string; warning?: string; hits: Array<{document_id: string; segment_index: number; heading_path: unknown[]; text: string; score: number}>}
    if (flags.local) {
      this.jsonErrors(flags.json)
      const {searchLocal} = await import('../src/search/local-search.js')
      result = await searchLocal({kind, query: args.query, databaseUrl: flags.database, limit: flags.limit, slot: flags.slot, source: flags.source})
    } else {
      const client = await this.client(flags)
      result = await client.search(kind === 'semantic' ? 'vector' : kind, {query: args.query, limit: flags.limit, slot: flags.slot, source: flags.source})
    }
    const {searchHitsText} = await import('../src/client/search-format.js')
    if (result.warning && !flags.json) process.stderr.write(`warning: ${result.warning}\n`)
    this.print(result, () => searchHitsText(result))
  }
}
