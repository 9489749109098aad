import {pino, type DestinationStream} from 'pino'

import type {Logger} from './logger.js'

export interface PinoLoggerOptions {
  level?: string
  /** Where log lines go; stderr by default so stdout stays clean for results. */
  destination?: DestinationStream | string
}

export function createPinoLogger(options: PinoLoggerOptions = {}): Logger {
  const destination = typeof options.destination === 'string'
    ? pino.destination({dest: options.destination, mkdir: true, sync: false})
    : options.destination ?? pino.destination(2)
  const base = pino({level: options.level ?? process.env.FACTFLOW_LOG_LEVEL ?? 'info', base: undefined}, destination)
  return wrap(base)
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (fields, message) => p.debug(fields, message),
    info: (fields, message) => p.info(fields, message),
    warn: (fields, message) => p.warn(fields, message),
    error: (fields, message) => p.error(fields, message),
    child: (bindings) => wrap(p.child(bindings)),
  }
}
