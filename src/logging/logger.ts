/**
 * The logging contract every service takes. pino implements it (`createPinoLogger`); tests and the
 * Ink UI can pass their own. `child` carries execution/route/stage bindings.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void
  info(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  error(fields: Record<string, unknown>, message: string): void
  child(bindings: Record<string, unknown>): Logger
}

/** A logger that drops everything (benchmarks, quiet tests). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() { return silentLogger },
}
