import {BaseCommand} from '../../src/cli/base-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class SearchVectorIndex extends BaseCommand {
  static override summary = 'Build (or drop) the HNSW index of an embedding slot for fast vector search'
  static override description = `Vector search scans every vector of a slot until the slot has an index: fine for small corpora (about 30 ms per 1,000 vectors of 768 dimensions on the embedded database), slow for large ones. This builds an HNSW index once a run is done; it is never maintained during ingestion by default. Building takes minutes for tens of thousands of vectors; later writes to the slot keep it up to date (and are slower for it). See docs/decisions.md, "Vector search by size".`
  static override examples = [
    '<%= config.bin %> search vector-index --local',
    '<%= config.bin %> search vector-index --local --slot factflow-hash-v2 --drop',
  ]
  static override flags = {
    local: Flags.boolean({description: 'Index the local embedded database written by `factflow run`'}),
    database: Flags.string({description: 'Database URL or embedded PGlite directory', default: './output/db', env: 'FACTFLOW_DATABASE_URL'}),
    slot: Flags.string({description: 'Embedding slot (default: the only one)'}),
    drop: Flags.boolean({description: 'Drop the index instead'}),
    json: Flags.boolean({description: 'Print one JSON document'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SearchVectorIndex)
    const {UserInputError} = await import('../../src/errors/index.js')
    if (!flags.local) {
      throw new UserInputError('SERVER_NOT_AVAILABLE_YET', 'Indexing a server\'s slots is not available yet.', {hint: 'Add --local to index the database `factflow run` wrote.'})
    }
    const {vectorIndexLocal} = await import('../../src/search/local-search.js')
    const result = await vectorIndexLocal({databaseUrl: flags.database, slot: flags.slot, drop: flags.drop})
    if (flags.json) {
      this.log(JSON.stringify(result, null, 2))
      return
    }
    this.log(`${result.index} on slot ${result.slot} (${result.vectors} vectors): ${result.action} in ${result.seconds.toFixed(1)} s`)
  }
}
