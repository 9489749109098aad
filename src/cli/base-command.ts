import {Command} from '@oclif/core'

import {isFactflowError} from '../errors/index.js'

/**
 * The one place where a command's errors become output (STYLE.md, "One error model"). A
 * `FactflowError` prints `Error [CODE]: message` and `Hint: …` on stderr and exits with its own
 * exit code (user input 2, unavailable 4, …); a command printing JSON (`jsonOutput`) prints it as
 * one JSON document on stdout instead, `{"error": {"code", "message", "hint"}}` (spec/cli.md),
 * with the same exit code. Anything else goes to oclif's handler (exit 1, or oclif's own code for
 * flag errors).
 */
export abstract class BaseCommand extends Command {
  /** Set once the flags ask for JSON output: results and errors are JSON documents on stdout. */
  protected jsonOutput = false

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (!isFactflowError(error)) return super.catch(error)
    if (this.jsonOutput) {
      process.stdout.write(`${JSON.stringify({error: {code: error.code, message: error.message, ...(error.hint ? {hint: error.hint} : {})}}, null, 2)}\n`)
      this.exit(error.exitCode)
    }
    process.stderr.write(`Error [${error.code}]: ${error.message}\n${error.hint ? `Hint: ${error.hint}\n` : ''}`)
    this.exit(error.exitCode)
  }

  /**
   * Ends with `code` once the command returns, without interrupting output: for results that are
   * not errors but still fail (an invalid config exits 2 after its report is printed).
   */
  protected setExitCode(code: number): void {
    process.exitCode = code
  }
}
