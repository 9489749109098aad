import {ClientCommand} from '../../src/cli/client-command.js'
import {Flags} from '../../src/cli/oclif.js'

export default class LineageView extends ClientCommand {
  static override summary = 'Explore an execution\'s message tree interactively: expand, jump to failures, open artefacts'
  static override description = `One line per message under the message it came from, with each stage's status and time and the first error. Keys: ↑↓ move, → expand, ← collapse (or go to the parent), f / F next / previous failed message, o or 1-9 open the selected message's artefact (↑↓ PgUp PgDn scroll, q back), q quit. The pane under the tree shows the selected message's rows (error, timing) and artefacts.

Without a terminal (or --no-tui, CI=true) it prints the whole tree as text; --json prints the execution's rows.`
  static override examples = ['<%= config.bin %> lineage view --execution first', '<%= config.bin %> lineage view --execution first --no-tui']
  static override flags = {
    execution: Flags.string({description: 'Execution id or tag', required: true}),
    tui: Flags.boolean({allowNo: true, default: true, description: 'Interactive view on a terminal (--no-tui: print the tree)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LineageView)
    const client = await this.client(flags)
    const [{loadLineageExplorer}, {buildLineageTree}] = await Promise.all([import('../../src/client/lineage-explorer.js'), import('../../src/lineage/lineage-tree.js')])
    const data = await loadLineageExplorer(client, flags.execution)
    const tree = buildLineageTree(data.rows)
    const title = `lineage of ${data.execution.config_name} · execution ${data.execution.id} (${data.execution.status})${data.truncated ? ` · first ${data.rows.length} rows` : ''}`
    const tui = flags.tui && !flags.json && process.stdout.isTTY === true && process.stdin.isTTY === true && process.env.CI !== 'true'
    if (!tui) {
      const {treeText} = await import('../../src/client/lineage-format.js')
      this.print({execution_id: data.execution.id, truncated: data.truncated, lineage: data.rows}, () => `${title}\n${data.rows.length === 0 ? 'No lineage rows.\n' : treeText(tree.roots)}`)
      return
    }
    const [{render}, {createElement}, {LineageView: View}] = await Promise.all([import('ink'), import('react'), import('../../src/ui/LineageView.js')])
    const app = render(createElement(View, {title, tree, loadArtefacts: data.loadArtefacts, readArtefact: data.readArtefact}), {patchConsole: false})
    await app.waitUntilExit()
  }
}
