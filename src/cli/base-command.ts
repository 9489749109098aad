import {Command} from './oclif.js'


/**
 * The one place where a command's errors become output (STYLE.md, "One error model"). A
 * `FactflowError` prints `Error [CODE]: message` and `Hint: …` on stderr and exits with its own
 * exit code (user input 2, unavailable 4, …); a command printing JSON (`jsonErrors(true)`) prints
 * it as one JSON document on stdout instead, `{"error": {"code", "message", "hint"}}`
 * (docs/reference/cli.md), with the same exit code. Anything else goes to oclif's handler (exit 1,
 * or oclif's own code for flag errors).
 */
export abstract class BaseCommand extends Command {
  /** Results and errors print as JSON documents on stdout. */
  protected jsonOutput = false

  /** With `on`, results and errors print as JSON (a command calls it once its flags are parsed). */
  protected jsonErrors(on: boolean | undefined): void {
    this.jsonOutput = on === true
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    // Loaded here, not at start-up: a command that succeeds never needs the error catalogue.
    const {isFactflowError} = await import('../errors/factflow-error.js')
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
